namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>Steps 70–89: cameras, snapshots, drone photos and alert images.</summary>
    private static readonly (int Version, string Sql)[] Media =
    [
    ];
}
