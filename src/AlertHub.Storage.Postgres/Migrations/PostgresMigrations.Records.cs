namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>Steps 90–109: the audit log, compose templates, telephony attempts and L-Alert documents and publications.</summary>
    private static readonly (int Version, string Sql)[] Records =
    [
    ];
}
