using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Storage;

/// <summary>
/// Where the hub keeps its files: <c>Storage:DataDirectory</c> (relative to the content root unless rooted), created at
/// start. Features that keep files (keys, pictures, camera media) ask this, not the database.
/// </summary>
internal sealed class StoragePaths
{
    public StoragePaths(IOptions<StorageOptions> options, IHostEnvironment environment)
    {
        DataDirectory = DataDirectoryOf(options.Value, environment);
        Directory.CreateDirectory(DataDirectory);
    }

    /// <summary>The data directory, absolute.</summary>
    public string DataDirectory { get; }

    /// <summary><paramref name="path"/> as it is when rooted, otherwise inside <see cref="DataDirectory"/>.</summary>
    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(DataDirectory, path);

    internal static string DataDirectoryOf(StorageOptions options, IHostEnvironment environment) =>
        Path.IsPathRooted(options.DataDirectory) ? options.DataDirectory : Path.Combine(environment.ContentRootPath, options.DataDirectory);
}
