using System.Collections.Concurrent;
using AlertHub.Server.Features.Storage;

namespace AlertHub.Server.Features.Feeds.Polling;

/// <summary>
/// Entry ids the poller has finished with, in SQLite (table <c>feed_seen_entries</c>, created on start) and mirrored
/// in memory so a cycle's lookups cost nothing. Persisted so a restart does not fetch and hand over everything again.
/// </summary>
internal sealed class FeedSeenStore(Database database)
{
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);

    public int Count => _seen.Count;

    public bool Contains(string entryId) => _seen.ContainsKey(entryId);

    /// <summary>Creates the table if needed and loads the remembered ids.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE TABLE IF NOT EXISTS feed_seen_entries(
                    entry_id TEXT PRIMARY KEY,
                    feed_url TEXT NOT NULL,
                    data_url TEXT,
                    outcome TEXT NOT NULL,
                    seen_at INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS ix_feed_seen_at ON feed_seen_entries(seen_at);
                """;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT entry_id FROM feed_seen_entries";
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            _seen.TryAdd(reader.GetString(0), 0);
        }
    }

    /// <param name="outcome">accepted, duplicate, rejected:&lt;code&gt;, too_large, refused, no_url, gave_up.</param>
    public async Task MarkAsync(string entryId, string feedUrl, string? dataUrl, string outcome, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO feed_seen_entries(entry_id, feed_url, data_url, outcome, seen_at) VALUES ($id, $feed, $data, $outcome, $at)
            ON CONFLICT(entry_id) DO NOTHING
            """;
        insert.Parameters.AddWithValue("$id", entryId);
        insert.Parameters.AddWithValue("$feed", feedUrl);
        insert.Parameters.AddWithValue("$data", (object?)dataUrl ?? DBNull.Value);
        insert.Parameters.AddWithValue("$outcome", outcome);
        insert.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        await insert.ExecuteNonQueryAsync(cancellationToken);
        _seen.TryAdd(entryId, 0);
    }

    /// <summary>Forgets ids older than <paramref name="cutoff"/> that no feed lists any more; returns how many.</summary>
    public async Task<int> PruneAsync(DateTimeOffset cutoff, IReadOnlySet<string> stillListed, CancellationToken cancellationToken)
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
            return 0;
        }

        await using var tx = connection.BeginTransaction();
        await using var delete = connection.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = "DELETE FROM feed_seen_entries WHERE entry_id = $id";
        var parameter = delete.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
        foreach (var id in old)
        {
            parameter.Value = id;
            await delete.ExecuteNonQueryAsync(cancellationToken);
            _seen.TryRemove(id, out _);
        }

        await tx.CommitAsync(cancellationToken);
        return old.Count;
    }
}
