using System.Text.Json;
using AlertHub.Storage.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Server.Features.Storage.Migration;

/// <summary>Why a copy cannot start or go on, in words for the operator; the command prints it and exits non-zero.</summary>
internal sealed class StoreCopyException(string message) : Exception(message);

/// <summary>One table's verified count: the SQLite rows and the PostgreSQL rows after the copy.</summary>
internal sealed record TableCount(string Table, long SourceRows, long TargetRows)
{
    public bool Ok => SourceRows == TargetRows;
}

/// <summary>
/// Copies a stopped SQLite hub into PostgreSQL, table by table in foreign-key order, keeping every id. Driven by the two
/// schemas rather than a hand-kept list: each PostgreSQL column takes the SQLite column of the same name, converted by the
/// PostgreSQL column's type (<see cref="ColumnConversion"/>), so a table or column one side has and the other lacks stops
/// the copy instead of being dropped.
/// </summary>
/// <remarks>
/// Resumable: rows go in batches in SQLite key order (rowid, or the primary key of a WITHOUT ROWID table), each batch by
/// binary COPY in one PostgreSQL transaction together with the table's row in <c>migrate_store_progress</c> (the last key
/// copied). A run stopped at any point (Ctrl+C, kill, a lost connection) leaves whole batches only, and the next run goes
/// on after the last committed key, so no row is copied twice. The SQLite file is held with an exclusive lock for the whole
/// run: a hub that still has it open makes the copy refuse to start, and a hub started during the copy cannot write to it.
/// </remarks>
internal sealed class StoreCopy(string sqliteFile, NpgsqlDataSource target, TextWriter output)
{
    public const string ProgressTable = "migrate_store_progress";

    /// <summary>Rows per batch (one PostgreSQL transaction each). Default 5,000.</summary>
    public int BatchSize { get; init; } = 5000;

    /// <summary>Called after each committed batch with the table and its rows copied so far (tests interrupt the copy here).</summary>
    public Action<string, long>? BatchCommitted { get; init; }

    /// <summary>The advisory-lock key of a copy in progress ("AH-copy" in ASCII), so two runs never fill one database at once.</summary>
    private const long CopyLockKey = 0x4148_2D63_6F70_79;

    /// <summary>
    /// PostgreSQL columns with no SQLite column of their name: feed events are ordered by SQLite's rowid, which PostgreSQL
    /// keeps as <c>seq</c>; residents' change number (which the nodes' targeting indexes follow) starts at 0 for everyone
    /// copied, since every node loads the whole index at start and follows changes made after it.
    /// </summary>
    private static readonly Dictionary<(string Table, string Column), string> SourceOverrides = new()
    {
        [("feed_events", "seq")] = "rowid",
        [("residents", "change_seq")] = "0",
    };

    /// <summary>SQLite columns PostgreSQL does without: a snapshot's at_ms is its <c>at</c> in milliseconds (timestamptz there).</summary>
    private static readonly HashSet<(string Table, string Column)> SourceOnlyColumns = [("camera_snapshots", "at_ms")];

    /// <summary>
    /// Rows the PostgreSQL migrations insert themselves (the five default compose templates): a fresh target may hold them,
    /// and the copy replaces them with the source's templates (which may have been edited or deleted).
    /// </summary>
    private static readonly Dictionary<string, string> SeedRows = new()
    {
        ["compose_templates"] = "updated_by <> 'hub (default)'",
    };

    public async Task<IReadOnlyList<TableCount>> RunAsync(CancellationToken cancellationToken)
    {
        await using var sqlite = await OpenSourceAsync(cancellationToken);
        var sourceTables = await SourceTablesAsync(sqlite, cancellationToken);

        await new PostgresMigrator(target, NullLogger<PostgresMigrator>.Instance).MigrateAsync(cancellationToken);
        await using var pg = await target.OpenConnectionAsync(cancellationToken);
        if (!(bool)(await ScalarAsync(pg, $"SELECT pg_try_advisory_lock({CopyLockKey})", cancellationToken))!)
        {
            throw new StoreCopyException("Another migrate-store is copying into this PostgreSQL database right now; let it finish.");
        }

        await ExecAsync(pg, null, $"""
            CREATE TABLE IF NOT EXISTS {ProgressTable}(
                table_name text PRIMARY KEY,
                last_key text,
                rows bigint NOT NULL,
                done boolean NOT NULL,
                source text NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now())
            """, cancellationToken);

        var targetTables = await TargetTablesAsync(pg, cancellationToken);
        var plan = Plan(sourceTables, targetTables);
        var order = await ForeignKeyOrderAsync(pg, targetTables.Keys, cancellationToken);
        var progress = await ProgressAsync(pg, cancellationToken);
        await CheckTargetAsync(sqlite, pg, plan, progress, cancellationToken);

        foreach (var table in order)
        {
            if (plan[table] is { } copy && progress.GetValueOrDefault(table) is not { Done: true })
            {
                await CopyTableAsync(sqlite, pg, copy, progress.GetValueOrDefault(table), cancellationToken);
            }
        }

        await AdvanceIdentitiesAsync(pg, cancellationToken);
        var counts = new List<TableCount>();
        foreach (var table in order)
        {
            var source = plan[table] is { } copy ? await CountAsync(sqlite, copy.Source, null, cancellationToken) : 0;
            counts.Add(new TableCount(table, source, (long)(await ScalarAsync(pg, $"SELECT count(*) FROM \"{table}\"", cancellationToken))!));
        }

        return counts;
    }

    private sealed record SourceTable(string Name, string[] Columns, string[] Key);

    private sealed record TargetColumn(string Name, string PgType, NpgsqlDbType DbType);

    /// <summary>What to read (<paramref name="Select"/>, in the target's column order) from which SQLite table into which.</summary>
    private sealed record TableCopy(string Target, SourceTable Source, TargetColumn[] Columns, string[] Select);

    private sealed record Progress(string? LastKey, long Rows, bool Done, string Source);

    private async Task<SqliteConnection> OpenSourceAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(sqliteFile))
        {
            throw new StoreCopyException($"There is no SQLite hub database at {sqliteFile} (Storage:DataDirectory / Storage:DatabaseFile).");
        }

        // A running hub keeps alerthub.db.running locked (Database.HoldRunningMarker); an idle one holds no SQLite lock.
        try
        {
            using var marker = new FileStream(sqliteFile + ".running", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new StoreCopyException(
                $"The SQLite hub database {sqliteFile} is in use: the hub still runs on it. Stop the hub first, then run migrate-store again.");
        }

        // ReadWrite, not ReadOnly: a database left in WAL mode by a crash needs its log recovered before it can be read.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = sqliteFile,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            // Microsoft.Data.Sqlite retries a busy database for this long; a running hub should be reported at once.
            DefaultTimeout = 1,
        }.ToString());
        await connection.OpenAsync(cancellationToken);
        object? version;
        try
        {
            // In exclusive locking mode the locks taken are kept until the connection closes: a hub busy writing makes this fail
            // at once, and a hub started later cannot write.
            await ExecAsync(connection, "PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;", cancellationToken);
            version = await ScalarAsync(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6)
        {
            await connection.DisposeAsync();
            throw new StoreCopyException(
                $"The SQLite hub database {sqliteFile} is in use: the hub (or another program) still has it open. Stop the hub first, then run migrate-store again.");
        }

        var latest = Migrations.All.Max(m => m.Version);
        if (version is not long v || v != latest)
        {
            await connection.DisposeAsync();
            throw new StoreCopyException(
                $"The SQLite hub database is at schema step {version}, this hub's is {latest}: start this version of the hub on it once (it upgrades the file), stop it, then run migrate-store.");
        }

        return connection;
    }

    private static async Task<Dictionary<string, SourceTable>> SourceTablesAsync(SqliteConnection sqlite, CancellationToken cancellationToken)
    {
        var names = new List<(string Name, bool WithoutRowid)>();
        await using (var cmd = sqlite.CreateCommand())
        {
            cmd.CommandText = """
                SELECT name, sql LIKE '%WITHOUT ROWID%' FROM sqlite_master
                WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name
                """;
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add((reader.GetString(0), reader.GetBoolean(1)));
            }
        }

        var tables = new Dictionary<string, SourceTable>();
        foreach (var (name, withoutRowid) in names)
        {
            var columns = new List<string>();
            var key = new SortedList<long, string>();
            await using var cmd = sqlite.CreateCommand();
            cmd.CommandText = $"SELECT name, pk FROM pragma_table_info('{name.Replace("'", "''")}')";
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add(reader.GetString(0));
                if (reader.GetInt64(1) > 0)
                {
                    key.Add(reader.GetInt64(1), reader.GetString(0));
                }
            }

            // Keyset order: rowid where there is one (an INTEGER PRIMARY KEY is the rowid itself), else the primary key.
            tables[name] = new SourceTable(name, [.. columns], withoutRowid ? [.. key.Values] : ["rowid"]);
        }

        return tables;
    }

    private static async Task<Dictionary<string, TargetColumn[]>> TargetTablesAsync(NpgsqlConnection pg, CancellationToken cancellationToken)
    {
        var tables = new Dictionary<string, List<TargetColumn>>();
        await using var cmd = new NpgsqlCommand($"""
            SELECT c.relname, a.attname, t.typname
            FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            JOIN pg_type t ON t.oid = a.atttypid
            WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
              AND c.relname NOT IN ('schema_migrations', '{ProgressTable}')
            ORDER BY c.relname, a.attnum
            """, pg);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (table, column, type) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            var dbType = ColumnConversion.DbTypeOf(type)
                ?? throw new StoreCopyException($"PostgreSQL column {table}.{column} has type {type}, which migrate-store does not convert.");
            (tables.TryGetValue(table, out var list) ? list : tables[table] = []).Add(new TargetColumn(column, type, dbType));
        }

        return tables.ToDictionary(t => t.Key, t => t.Value.ToArray());
    }

    /// <summary>Pairs each PostgreSQL table with its SQLite table (null: SQLite never created it, so there is nothing to copy).</summary>
    private static Dictionary<string, TableCopy?> Plan(Dictionary<string, SourceTable> source, Dictionary<string, TargetColumn[]> target)
    {
        var missing = source.Keys.Where(t => !target.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            throw new StoreCopyException($"PostgreSQL has no table for SQLite's {string.Join(", ", missing)}; nothing was copied.");
        }

        var plan = new Dictionary<string, TableCopy?>();
        foreach (var (name, columns) in target)
        {
            if (!source.TryGetValue(name, out var table))
            {
                // feed_seen_entries and line_webhook_events are created on first use in SQLite: a hub that never polled a
                // feed or heard from LINE has none.
                plan[name] = null;
                continue;
            }

            var select = columns.Select(c =>
                SourceOverrides.TryGetValue((name, c.Name), out var expression) ? expression
                : table.Columns.Contains(c.Name) ? $"\"{c.Name}\""
                : throw new StoreCopyException($"SQLite's {name} has no column {c.Name} for PostgreSQL's; nothing was copied.")).ToArray();
            var dropped = table.Columns.Where(c => columns.All(t => t.Name != c) && !SourceOnlyColumns.Contains((name, c))).ToList();
            if (dropped.Count > 0)
            {
                throw new StoreCopyException($"PostgreSQL's {name} has no column for SQLite's {string.Join(", ", dropped)}; nothing was copied.");
            }

            plan[name] = new TableCopy(name, table, columns, select);
        }

        return plan;
    }

    /// <summary>Tables in an order where every table comes after those its foreign keys refer to (then by name).</summary>
    private static async Task<List<string>> ForeignKeyOrderAsync(NpgsqlConnection pg, IEnumerable<string> tables, CancellationToken cancellationToken)
    {
        var parents = tables.ToDictionary(t => t, _ => new HashSet<string>());
        await using (var cmd = new NpgsqlCommand("""
            SELECT c.relname, p.relname FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
            WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace
            """, pg))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (parents.TryGetValue(reader.GetString(0), out var set) && reader.GetString(0) != reader.GetString(1))
                {
                    set.Add(reader.GetString(1));
                }
            }
        }

        var order = new List<string>();
        while (parents.Count > 0)
        {
            var ready = parents.Where(p => p.Value.All(order.Contains)).Select(p => p.Key).Order(StringComparer.Ordinal).FirstOrDefault()
                ?? throw new StoreCopyException("The PostgreSQL tables' foreign keys form a cycle; migrate-store cannot order them.");
            order.Add(ready);
            parents.Remove(ready);
        }

        return order;
    }

    private static async Task<Dictionary<string, Progress>> ProgressAsync(NpgsqlConnection pg, CancellationToken cancellationToken)
    {
        var progress = new Dictionary<string, Progress>();
        await using var cmd = new NpgsqlCommand($"SELECT table_name, last_key, rows, done, source FROM {ProgressTable}", pg);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            progress[reader.GetString(0)] = new Progress(reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2), reader.GetBoolean(3), reader.GetString(4));
        }

        return progress;
    }

    /// <summary>
    /// The target holds nothing but this copy: tables not started are empty (but for the migrations' own rows), tables started
    /// hold exactly the rows their progress says, and the SQLite tables still have those rows up to the last key copied (the
    /// hub did not run in between). Anything else stops the copy before it writes.
    /// </summary>
    private async Task CheckTargetAsync(SqliteConnection sqlite, NpgsqlConnection pg, Dictionary<string, TableCopy?> plan,
        Dictionary<string, Progress> progress, CancellationToken cancellationToken)
    {
        var from = progress.Values.Select(p => p.Source).FirstOrDefault(s => s != sqliteFile);
        if (from is not null)
        {
            throw new StoreCopyException(
                $"This PostgreSQL database holds a copy (finished or not) of {from}, not of {sqliteFile}. Copy into an empty database.");
        }

        foreach (var (table, copy) in plan)
        {
            var targetRows = (long)(await ScalarAsync(pg, $"SELECT count(*) FROM \"{table}\"", cancellationToken))!;
            if (progress.TryGetValue(table, out var p))
            {
                if (targetRows != p.Rows)
                {
                    throw new StoreCopyException(
                        $"PostgreSQL's {table} has {targetRows} rows but this copy wrote {p.Rows}: something else wrote to it (was the hub started on PostgreSQL?). Copy into an empty database.");
                }

                var sourceRows = copy is null ? 0 : await CountAsync(sqlite, copy.Source, p.LastKey, cancellationToken);
                if (sourceRows != p.Rows)
                {
                    throw new StoreCopyException(
                        $"SQLite's {table} changed since this copy began ({sourceRows} rows up to where the copy stopped, {p.Rows} copied): the hub ran in between. Drop the PostgreSQL database's tables (or use a new database) and copy again.");
                }
            }
            else
            {
                var filter = SeedRows.TryGetValue(table, out var seed) ? $" WHERE {seed}" : "";
                if ((bool)(await ScalarAsync(pg, $"SELECT EXISTS(SELECT 1 FROM \"{table}\"{filter})", cancellationToken))!)
                {
                    throw new StoreCopyException(
                        $"The PostgreSQL database already holds hub data that did not come from this copy ({table}: {targetRows} rows). migrate-store only copies into an empty database: create a new one (or drop this one's tables) and run it again.");
                }
            }
        }
    }

    private async Task CopyTableAsync(SqliteConnection sqlite, NpgsqlConnection pg, TableCopy copy, Progress? progress, CancellationToken cancellationToken)
    {
        var lastKey = progress?.LastKey;
        var rows = progress?.Rows ?? 0;
        var started = progress is not null;
        var key = copy.Source.Key;
        var keyList = string.Join(", ", key.Select(k => k == "rowid" ? k : $"\"{k}\""));
        var columnList = string.Join(", ", copy.Columns.Select(c => $"\"{c.Name}\""));
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var read = sqlite.CreateCommand();
            read.CommandText = $"SELECT {keyList}, {string.Join(", ", copy.Select)} FROM \"{copy.Source.Name}\"{After(read, key, lastKey)} ORDER BY {keyList} LIMIT {BatchSize}";
            await using var tx = await pg.BeginTransactionAsync(cancellationToken);
            if (!started)
            {
                // The first batch of a table replaces what the migrations seeded (CheckTargetAsync allowed nothing else).
                await ExecAsync(pg, tx, $"DELETE FROM \"{copy.Target}\"", cancellationToken);
                started = true;
            }

            var batch = 0;
            object?[]? last = null;
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            await using (var writer = await pg.BeginBinaryImportAsync($"COPY \"{copy.Target}\"({columnList}) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    last = new object?[key.Length];
                    for (var k = 0; k < key.Length; k++)
                    {
                        last[k] = reader.GetValue(k);
                    }

                    await writer.StartRowAsync(cancellationToken);
                    for (var c = 0; c < copy.Columns.Length; c++)
                    {
                        var column = copy.Columns[c];
                        var value = ColumnConversion.Convert(reader.GetValue(key.Length + c), column.PgType, $"{copy.Target}.{column.Name} (key {string.Join(",", last)})");
                        if (value is null)
                        {
                            await writer.WriteNullAsync(cancellationToken);
                        }
                        else
                        {
                            await writer.WriteAsync(value, column.DbType, cancellationToken);
                        }
                    }

                    batch++;
                }

                await writer.CompleteAsync(cancellationToken);
            }

            rows += batch;
            if (last is not null)
            {
                lastKey = JsonSerializer.Serialize(last);
            }

            var done = batch < BatchSize;
            await using (var record = new NpgsqlCommand($"""
                INSERT INTO {ProgressTable}(table_name, last_key, rows, done, source) VALUES (@t, @k, @r, @d, @s)
                ON CONFLICT (table_name) DO UPDATE SET last_key = excluded.last_key, rows = excluded.rows, done = excluded.done, updated_at = now()
                """, pg, tx))
            {
                record.Parameters.AddWithValue("t", copy.Target);
                record.Parameters.AddWithValue("k", (object?)lastKey ?? DBNull.Value);
                record.Parameters.AddWithValue("r", rows);
                record.Parameters.AddWithValue("d", done);
                record.Parameters.AddWithValue("s", sqliteFile);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            BatchCommitted?.Invoke(copy.Target, rows);
            if (done)
            {
                await output.WriteLineAsync($"  {copy.Target}: {rows} rows");
                return;
            }
        }
    }

    /// <summary>The keyset condition "after the last key copied" (a row value for a composite key), with its parameters.</summary>
    private static string After(SqliteCommand command, string[] key, string? lastKey)
    {
        if (lastKey is null)
        {
            return "";
        }

        var values = JsonSerializer.Deserialize<JsonElement[]>(lastKey)!;
        for (var k = 0; k < key.Length; k++)
        {
            command.Parameters.AddWithValue($"$k{k}", values[k].ValueKind switch
            {
                JsonValueKind.Number => values[k].GetInt64(),
                JsonValueKind.String => values[k].GetString(),
                _ => throw new StoreCopyException($"Unexpected key {lastKey} in {ProgressTable}."),
            });
        }

        var columns = string.Join(", ", key.Select(k => k == "rowid" ? k : $"\"{k}\""));
        return $" WHERE ({columns}) > ({string.Join(", ", key.Select((_, k) => $"$k{k}"))})";
    }

    /// <summary>SQLite rows of <paramref name="table"/>, all of them or those up to <paramref name="lastKey"/>.</summary>
    private static async Task<long> CountAsync(SqliteConnection sqlite, SourceTable table, string? lastKey, CancellationToken cancellationToken)
    {
        await using var cmd = sqlite.CreateCommand();
        var condition = lastKey is null ? "" : After(cmd, table.Key, lastKey).Replace(") > (", ") <= (", StringComparison.Ordinal);
        cmd.CommandText = $"SELECT count(*) FROM \"{table.Name}\"{condition}";
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Each identity column's sequence continues after the largest id copied, so the hub's next row never collides.</summary>
    private static async Task AdvanceIdentitiesAsync(NpgsqlConnection pg, CancellationToken cancellationToken)
    {
        var identities = new List<(string Table, string Column)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE a.attidentity <> '' AND c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
            """, pg))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                identities.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        foreach (var (table, column) in identities)
        {
            await ExecAsync(pg, null,
                $"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), COALESCE(MAX(\"{column}\"), 0) + 1, false) FROM \"{table}\"",
                cancellationToken);
        }
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection pg, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, pg);
        return await cmd.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection sqlite, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = sqlite.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task ExecAsync(NpgsqlConnection pg, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, pg, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecAsync(SqliteConnection sqlite, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = sqlite.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
