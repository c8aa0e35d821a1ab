using AlertHub.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>feed_seen_entries</c> table in the embedded SQLite store (seen_at in ms since the epoch; migration 17).</summary>
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
}
