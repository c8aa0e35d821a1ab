using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary><c>line_webhook_events</c> in the embedded SQLite store (receipt times as Unix milliseconds).</summary>
internal sealed class SqliteLineEventStore(Database database) : ILineEventStore, IDisposable
{
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;

    public async Task<bool> ClaimAsync(string eventId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT OR IGNORE INTO line_webhook_events(event_id, received_at) VALUES ($id, $at)";
        cmd.Parameters.AddWithValue("$id", eventId);
        cmd.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task ReleaseAsync(string eventId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM line_webhook_events WHERE event_id = $id";
        cmd.Parameters.AddWithValue("$id", eventId);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM line_webhook_events WHERE received_at < $cutoff";
        cmd.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public void Dispose() => _schemaLock.Dispose();

    // Created on first use rather than in the shared migrations: hubs without LINE never get the table.
    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaLock.WaitAsync(cancellationToken);
        try
        {
            if (!_schemaReady)
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                await using var cmd = connection.CreateCommand();
                cmd.CommandText = """
                    CREATE TABLE IF NOT EXISTS line_webhook_events(event_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL);
                    CREATE INDEX IF NOT EXISTS ix_line_webhook_events_received ON line_webhook_events(received_at);
                    """;
                await cmd.ExecuteNonQueryAsync(cancellationToken);
                _schemaReady = true;
            }
        }
        finally
        {
            _schemaLock.Release();
        }
    }
}
