namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>Steps 50–69: areas, town points, feeds, feed events and what each poller has seen.</summary>
    private static readonly (int Version, string Sql)[] Places =
    [
    ];
}
