using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary><c>line_webhook_events</c> in the embedded SQLite store (receipt times as Unix milliseconds; migration 17).</summary>
internal sealed class SqliteLineEventStore(Database database) : ILineEventStore
{
    public async Task<bool> ClaimAsync(string eventId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT OR IGNORE INTO line_webhook_events(event_id, received_at) VALUES ($id, $at)";
        cmd.Parameters.AddWithValue("$id", eventId);
        cmd.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task ReleaseAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM line_webhook_events WHERE event_id = $id";
        cmd.Parameters.AddWithValue("$id", eventId);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM line_webhook_events WHERE received_at < $cutoff";
        cmd.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
