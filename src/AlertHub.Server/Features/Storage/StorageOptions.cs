namespace AlertHub.Server.Features.Storage;

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary>Folder for the SQLite database and the bootstrap key. Default <c>data</c> (relative to the content root).
    /// Give each hub its own folder to run several side by side.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Database file name inside <see cref="DataDirectory"/>. Default <c>alerthub.db</c>.</summary>
    public string DatabaseFile { get; set; } = "alerthub.db";
}
