using System.Text.Json;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>
/// The LINE webhook's view of residents: find them by LINE user id, switch their line endpoint on or off,
/// change attributes and the district place in place (ResidentStore.ReplaceAsync would recreate every endpoint,
/// losing secrets and states), and remember webhook event ids to drop LINE's redeliveries.
/// </summary>
internal sealed class LineResidentStore(Database database, TimeProvider time, IOptions<LineChannelOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;
    private long _nextPruneMs;

    /// <summary>Records an event id; false when it was seen before (a redelivery).</summary>
    public async Task<bool> ClaimEventAsync(string eventId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT OR IGNORE INTO line_webhook_events(event_id, received_at) VALUES ($id, $now)";
        cmd.Parameters.AddWithValue("$id", eventId);
        cmd.Parameters.AddWithValue("$now", nowMs);
        var claimed = await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
        if (nowMs >= Interlocked.Read(ref _nextPruneMs))
        {
            Interlocked.Exchange(ref _nextPruneMs, nowMs + (long)TimeSpan.FromHours(1).TotalMilliseconds);
            await using var prune = connection.CreateCommand();
            prune.CommandText = "DELETE FROM line_webhook_events WHERE received_at < $cutoff";
            prune.Parameters.AddWithValue("$cutoff", nowMs - (long)options.Value.WebhookEventRetention.TotalMilliseconds);
            await prune.ExecuteNonQueryAsync(cancellationToken);
        }

        return claimed;
    }

    /// <summary>Forgets an event id whose processing failed, so LINE's redelivery is processed.</summary>
    public async Task ReleaseEventAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM line_webhook_events WHERE event_id = $id";
        cmd.Parameters.AddWithValue("$id", eventId);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The resident holding this LINE user id (an active endpoint first, then the newest).</summary>
    public async Task<Guid?> FindResidentAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT resident_id FROM resident_endpoints WHERE channel = $channel AND address = $address
            ORDER BY state = 'active' DESC, id DESC LIMIT 1
            """;
        cmd.Parameters.AddWithValue("$channel", LineChannel.ChannelName);
        cmd.Parameters.AddWithValue("$address", userId);
        return await cmd.ExecuteScalarAsync(cancellationToken) is string s ? Guid.Parse(s) : null;
    }

    /// <summary>Sets the state ('active' or 'gone') of every line endpoint with this user id; returns the residents changed.</summary>
    public async Task<IReadOnlyList<Guid>> SetEndpointStateAsync(string userId, string state, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE resident_endpoints SET state = $state WHERE channel = $channel AND address = $address RETURNING resident_id";
        cmd.Parameters.AddWithValue("$state", state);
        cmd.Parameters.AddWithValue("$channel", LineChannel.ChannelName);
        cmd.Parameters.AddWithValue("$address", userId);
        var ids = new List<Guid>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(Guid.Parse(reader.GetString(0)));
        }

        return [.. ids.Distinct()];
    }

    /// <summary>Changes only what is given: household tags, language (when <paramref name="setLanguage"/>), and the
    /// district, which replaces the resident's places. Endpoints are left alone.</summary>
    public async Task<bool> UpdateProfileAsync(Guid residentId, string[]? householdTags, bool setLanguage, string? language, ValidPlace? place,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var update = connection.CreateCommand();
        update.Transaction = tx;
        var sets = new List<string> { "updated_at = $now" };
        update.Parameters.AddWithValue("$now", time.GetUtcNow().ToString("O"));
        update.Parameters.AddWithValue("$id", residentId.ToString());
        if (householdTags is not null)
        {
            sets.Add("household_tags = $ht");
            update.Parameters.AddWithValue("$ht", JsonSerializer.Serialize(householdTags));
        }

        if (setLanguage)
        {
            sets.Add("language = $lang");
            update.Parameters.AddWithValue("$lang", (object?)language ?? DBNull.Value);
        }

        update.CommandText = $"UPDATE residents SET {string.Join(", ", sets)} WHERE id = $id";
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        if (place is not null)
        {
            await using var places = connection.CreateCommand();
            places.Transaction = tx;
            places.CommandText = """
                DELETE FROM resident_places WHERE resident_id = $id;
                INSERT INTO resident_places(resident_id, idx, label, lat, lon) VALUES ($id, 0, $label, $lat, $lon);
                """;
            places.Parameters.AddWithValue("$id", residentId.ToString());
            places.Parameters.AddWithValue("$label", (object?)place.Label ?? DBNull.Value);
            places.Parameters.AddWithValue("$lat", place.Lat);
            places.Parameters.AddWithValue("$lon", place.Lon);
            await places.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public void Dispose() => _schemaLock.Dispose();

    // The dedupe table belongs to this channel alone, so it is created here rather than in the shared migrations.
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
