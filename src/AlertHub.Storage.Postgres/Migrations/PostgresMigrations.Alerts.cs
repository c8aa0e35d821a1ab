namespace AlertHub.Storage.Postgres;

internal static partial class PostgresMigrations
{
    /// <summary>Steps 10–29: alerts, alert versions, drafts and the outbox (items, receipts, counts, members).</summary>
    private static readonly (int Version, string Sql)[] Alerts =
    [
    ];
}
