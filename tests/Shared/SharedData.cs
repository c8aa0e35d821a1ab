namespace AlertHub.Tests.Shared;

/// <summary>
/// Locates the team's <c>shared</c> folder (real feeds and geodata that must never be copied into the repo):
/// a sibling of the repository root, or wherever <c>ALERTHUB_SHARED_DIR</c> points.
/// </summary>
internal static class SharedData
{
    public const string EnvironmentVariable = "ALERTHUB_SHARED_DIR";

    private static readonly Lazy<DirectoryInfo?> LazyRoot = new(Find);

    /// <summary>The shared folder, or null when this machine has none (e.g. a user's clone).</summary>
    public static DirectoryInfo? Root => LazyRoot.Value;

    /// <summary>A path under the shared folder, or null when the folder or the file is missing.</summary>
    public static string? Path(params string[] parts)
    {
        if (Root is null)
        {
            return null;
        }

        var full = System.IO.Path.Combine([Root.FullName, .. parts]);
        return File.Exists(full) || Directory.Exists(full) ? full : null;
    }

    private static DirectoryInfo? Find()
    {
        var overridden = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            return Directory.Exists(overridden) ? new DirectoryInfo(overridden) : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "AlertHub.sln")))
            {
                var shared = new DirectoryInfo(System.IO.Path.Combine(dir.FullName, "..", "shared"));
                return shared.Exists ? new DirectoryInfo(shared.FullName) : null;
            }
        }

        return null;
    }
}
