using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>feed_seen_entries</c> and <c>feed_poll_state</c> tables in PostgreSQL.</summary>
internal sealed class PostgresFeedSeenStore(NpgsqlDataSource dataSource) : IFeedSeenStore
{
    public async Task<IReadOnlyList<FeedSeenEntry>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT entry_id, feed_url, data_url, outcome, seen_at FROM feed_seen_entries");
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<FeedSeenEntry>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new FeedSeenEntry(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                r.GetFieldValue<DateTimeOffset>(4)));
        }

        return list;
    }

    public async Task<bool> MarkAsync(FeedSeenEntry entry, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO feed_seen_entries(entry_id, feed_url, data_url, outcome, seen_at) VALUES (@id, @feed, @data, @outcome, @at)
            ON CONFLICT (entry_id) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("id", entry.EntryId);
        cmd.Parameters.AddWithValue("feed", entry.FeedUrl);
        cmd.Parameters.AddWithValue("data", NpgsqlDbType.Text, (object?)entry.DataUrl ?? DBNull.Value);
        cmd.Parameters.AddWithValue("outcome", entry.Outcome);
        cmd.Parameters.AddWithValue("at", entry.SeenAt.ToUniversalTime());
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<string>> PruneAsync(DateTimeOffset cutoff, IReadOnlySet<string> stillListed, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "DELETE FROM feed_seen_entries WHERE seen_at < @cutoff AND NOT (entry_id = ANY(@listed)) RETURNING entry_id");
        cmd.Parameters.AddWithValue("cutoff", cutoff.ToUniversalTime());
        cmd.Parameters.AddWithValue("listed", stillListed.ToArray());
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var pruned = new List<string>();
        while (await r.ReadAsync(cancellationToken))
        {
            pruned.Add(r.GetString(0));
        }

        return pruned;
    }

    public async Task<IReadOnlyList<FeedValidators>> ListValidatorsAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT feed_url, etag, last_modified FROM feed_poll_state");
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<FeedValidators>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new FeedValidators(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetFieldValue<DateTimeOffset>(2)));
        }

        return list;
    }

    public async Task SaveValidatorsAsync(FeedValidators validators, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO feed_poll_state(feed_url, etag, last_modified) VALUES (@feed, @etag, @modified)
            ON CONFLICT (feed_url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified
            """);
        cmd.Parameters.AddWithValue("feed", validators.FeedUrl);
        cmd.Parameters.AddWithValue("etag", NpgsqlDbType.Text, (object?)validators.ETag ?? DBNull.Value);
        cmd.Parameters.AddWithValue("modified", NpgsqlDbType.TimestampTz, (object?)validators.LastModified?.ToUniversalTime() ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
