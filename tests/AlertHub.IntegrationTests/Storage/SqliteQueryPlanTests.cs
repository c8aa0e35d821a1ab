namespace AlertHub.IntegrationTests.Storage;

/// <summary>The SQLite engine's hot lookups use an index, not a scan of a table that grows with every feed or alert.</summary>
public sealed class SqliteQueryPlanTests : IAsyncLifetime
{
    private readonly TestStores _stores = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _stores.DisposeAsync();

    [Fact]
    public async Task FindFeedDocumentByHash_JoinsItsEventThroughAnIndex()
    {
        var database = await _stores.SqliteAsync();
        await using var connection = await database.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN SELECT d.id, e.id, d.status FROM feed_documents d LEFT JOIN feed_events e ON e.document_id = d.id WHERE d.sha256 = 'x'";
        var plan = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN e", StringComparison.Ordinal));
        Assert.Contains(plan, step => step.Contains("ix_feed_events_document", StringComparison.Ordinal));
    }
}
