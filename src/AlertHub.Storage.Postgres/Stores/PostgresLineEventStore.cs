using AlertHub.Core.Storage;
using Npgsql;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary><c>line_webhook_events</c> in PostgreSQL; the primary key decides which of two hub nodes takes a redelivered event.</summary>
internal sealed class PostgresLineEventStore(NpgsqlDataSource dataSource) : ILineEventStore
{
    public async Task<bool> ClaimAsync(string eventId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO line_webhook_events(event_id, received_at) VALUES (@id, @at) ON CONFLICT (event_id) DO NOTHING");
        cmd.Parameters.AddWithValue("id", eventId);
        cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task ReleaseAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM line_webhook_events WHERE event_id = @id");
        cmd.Parameters.AddWithValue("id", eventId);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM line_webhook_events WHERE received_at < @cutoff");
        cmd.Parameters.AddWithValue("cutoff", cutoff.ToUniversalTime());
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
