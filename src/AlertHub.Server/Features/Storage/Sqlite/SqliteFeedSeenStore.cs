using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>
/// The <c>feed_seen_entries</c> (migration 17) and <c>feed_poll_state</c> (18) tables in the embedded SQLite store; instants in ms
/// since the epoch.
/// </summary>
internal sealed class SqliteFeedSeenStore(Database database) : IFeedSeenStore
{
    public async Task<IReadOnlyList<FeedSeenEntry>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT entry_id, feed_url, data_url, outcome, seen_at FROM feed_seen_entries";
        await using var r = await read.ExecuteReaderAsync(cancellationToken);
        var list = new List<FeedSeenEntry>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new FeedSeenEntry(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4))));
        }

        return list;
    }

    public async Task<bool> MarkAsync(FeedSeenEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO feed_seen_entries(entry_id, feed_url, data_url, outcome, seen_at) VALUES ($id, $feed, $data, $outcome, $at)
            ON CONFLICT(entry_id) DO NOTHING
            """;
        insert.Parameters.AddWithValue("$id", entry.EntryId);
        insert.Parameters.AddWithValue("$feed", entry.FeedUrl);
        insert.Parameters.AddWithValue("$data", (object?)entry.DataUrl ?? DBNull.Value);
        insert.Parameters.AddWithValue("$outcome", entry.Outcome);
        insert.Parameters.AddWithValue("$at", entry.SeenAt.ToUnixTimeMilliseconds());
        return await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<string>> PruneAsync(DateTimeOffset cutoff, IReadOnlySet<string> stillListed, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var old = new List<string>();
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT entry_id FROM feed_seen_entries WHERE seen_at < $cutoff";
            read.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                if (!stillListed.Contains(id))
                {
                    old.Add(id);
                }
            }
        }

        if (old.Count == 0)
        {
            return old;
        }

        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var delete = connection.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = "DELETE FROM feed_seen_entries WHERE entry_id = $id";
        var parameter = delete.Parameters.Add("$id", SqliteType.Text);
        foreach (var id in old)
        {
            parameter.Value = id;
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return old;
    }

    public async Task<IReadOnlyList<FeedValidators>> ListValidatorsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT feed_url, etag, last_modified FROM feed_poll_state";
        await using var r = await read.ExecuteReaderAsync(cancellationToken);
        var list = new List<FeedValidators>();
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new FeedValidators(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1),
                r.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))));
        }

        return list;
    }

    public async Task SaveValidatorsAsync(FeedValidators validators, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var upsert = connection.CreateCommand();
        upsert.CommandText = """
            INSERT INTO feed_poll_state(feed_url, etag, last_modified) VALUES ($feed, $etag, $modified)
            ON CONFLICT(feed_url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified
            """;
        upsert.Parameters.AddWithValue("$feed", validators.FeedUrl);
        upsert.Parameters.AddWithValue("$etag", (object?)validators.ETag ?? DBNull.Value);
        upsert.Parameters.AddWithValue("$modified", (object?)validators.LastModified?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }
}
