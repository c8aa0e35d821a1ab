using AlertHub.Core.Feeds;
using AlertHub.Tests.Shared;

namespace AlertHub.UnitTests.Feeds.Safety;

/// <summary>The real documents under ../shared/fixtures/feeds (read in place, never copied).</summary>
internal static class FeedFixtures
{
    public static byte[] Read(string folder, string file) =>
        File.ReadAllBytes(SharedData.Path("fixtures", "feeds", folder, file) ?? throw new FileNotFoundException($"fixtures/feeds/{folder}/{file}"));

    public static HazardEvent Parse(string folder, string file) => FeedParser.Parse(Read(folder, file));

    public static IReadOnlyList<string> Files(string folder) =>
        SharedData.Path("fixtures", "feeds", folder) is { } dir
            ? Directory.GetFiles(dir, "*.xml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];
}

/// <summary>A theory that needs <c>../shared</c>; skipped with a clear message where it is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class FeedFixtureTheoryAttribute : TheoryAttribute
{
    public FeedFixtureTheoryAttribute()
    {
        if (SharedData.Root is null)
        {
            Skip = $"../shared not found (set {SharedData.EnvironmentVariable} to override).";
        }
    }
}
