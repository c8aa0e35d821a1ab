namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>Steps 30–49: residents, their places and endpoints, 安否 replies.</summary>
    private static readonly (int Version, string Sql)[] Residents =
    [
    ];
}
