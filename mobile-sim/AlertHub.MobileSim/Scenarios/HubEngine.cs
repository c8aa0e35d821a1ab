using AlertHub.Tests.Shared.Servers;
using Npgsql;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// The store engine of the hub mobile-sim starts (<c>--engine</c>): SQLite, the embedded default, in the hub's data
/// directory; or PostgreSQL in a throwaway cluster (initdb + pg_ctl in a temp folder, 127.0.0.1 on a free port) with one
/// database, which the hub reaches over TCP as a data centre's hub would. The cluster outlives hub restarts (--kill-hub-at
/// restarts the hub on the same database) and is stopped and deleted on dispose, on Ctrl+C and failure too (the run
/// disposes it in a finally), and at process exit as a last resort.
/// </summary>
internal sealed class HubEngine : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    private const string DatabaseName = "alerthub_sim";

    private readonly PostgresCluster? _cluster;
    private readonly PgAutoFailoverCluster? _failover;
    private readonly EventHandler? _atExit;
    private int _disposed;

    private HubEngine(string name, string description, IReadOnlyDictionary<string, string?> hubSettings, PostgresCluster? cluster,
        PgAutoFailoverCluster? failover = null)
    {
        Name = name;
        Description = description;
        HubSettings = hubSettings;
        _cluster = cluster;
        _failover = failover;
        if (cluster is not null || failover is not null)
        {
            // SIGTERM or an unhandled crash skips the run's finally: a postmaster left behind would hold its port and folder.
            _atExit = (_, _) => DisposeAsync().AsTask().GetAwaiter().GetResult();
            AppDomain.CurrentDomain.ProcessExit += _atExit;
        }
    }

    /// <summary><see cref="Sqlite"/> or <see cref="Postgres"/>.</summary>
    public string Name { get; }

    /// <summary>What the report's header names, e.g. "PostgreSQL 15.18 (throwaway cluster, synchronous_commit off)".</summary>
    public string Description { get; }

    /// <summary>Settings the hub process gets on top of its others (none for SQLite).</summary>
    public IReadOnlyDictionary<string, string?> HubSettings { get; }

    /// <summary>The cluster's temp folder (PostgreSQL only), gone after dispose.</summary>
    public string? ClusterRoot => _cluster?.Root;

    /// <summary>"sqlite" (default) or "postgres".</summary>
    public static string Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or Sqlite => Sqlite,
        Postgres or "postgresql" => Postgres,
        _ => throw new ArgumentException($"--engine takes sqlite (default) or postgres, got '{text}'."),
    };

    /// <exception cref="HubEngineException">PostgreSQL is not installed or its cluster did not start.</exception>
    public static async Task<HubEngine> StartAsync(string engine, CancellationToken cancellationToken)
    {
        if (Parse(engine) == Sqlite)
        {
            return new HubEngine(Sqlite, "SQLite (embedded, in the hub's data directory)", new Dictionary<string, string?>(), null);
        }

        var bin = PostgresCluster.FindBinaries(withPostGis: false)
            ?? throw new HubEngineException("--engine postgres needs PostgreSQL's server binaries under /usr/lib/postgresql (apt-get install postgresql-15).");
        PostgresCluster cluster;
        try
        {
            cluster = await PostgresCluster.StartAsync(bin, PostgresCluster.LoadRunSettings);
        }
        catch (InvalidOperationException e)
        {
            throw new HubEngineException("Could not start a throwaway PostgreSQL cluster: " + e.Message, e);
        }

        try
        {
            string version;
            // Unpooled: an idle pooled session of ours would outlive the run in this process (tests run several).
            var adminConnection = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Pooling = false }.ConnectionString;
            await using (var admin = new NpgsqlConnection(adminConnection))
            {
                await admin.OpenAsync(cancellationToken);
                await using (var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", admin))
                {
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }

                await using var show = new NpgsqlCommand("SHOW server_version", admin);
                version = (string)(await show.ExecuteScalarAsync(cancellationToken))!;
            }

            // SHOW server_version says e.g. "15.18 (Debian 15.18-0+deb12u1)": the report wants the version, not the packager.
            var shortVersion = version.Split(' ', 2)[0];
            return new HubEngine(Postgres, $"PostgreSQL {shortVersion} (throwaway cluster on 127.0.0.1:{cluster.Port}, synchronous_commit off)",
                new Dictionary<string, string?>
                {
                    ["Storage:Engine"] = "postgres",
                    ["ConnectionStrings:AlertHub"] = cluster.TcpConnectionString(DatabaseName),
                }, cluster);
        }
        catch (Exception e)
        {
            await cluster.DisposeAsync();
            if (e is NpgsqlException or InvalidOperationException)
            {
                throw new HubEngineException($"The throwaway PostgreSQL cluster did not take a database: {e.Message}\n{cluster.LogTail()}", e);
            }

            throw;
        }
    }

    /// <summary>
    /// --ha: PostgreSQL with pg_auto_failover on loopback (a monitor, a primary and a synchronous standby), the hub given both
    /// nodes with <c>Target Session Attributes=primary</c>. Durable as a city would run it: no <c>synchronous_commit = off</c>
    /// here, so a commit the hub was told of is on both nodes.
    /// </summary>
    public static async Task<HubEngine> StartFailoverAsync(CancellationToken cancellationToken)
    {
        if (PgAutoFailoverCluster.FindAutoctl() is null || PgAutoFailoverCluster.FindBinaries() is null)
        {
            throw new HubEngineException("--ha needs pg_auto_failover (apt-get install postgresql-15-auto-failover pg-auto-failover-cli).");
        }

        PgAutoFailoverCluster failover;
        try
        {
            failover = await PgAutoFailoverCluster.StartAsync(DatabaseName,
                [.. PostgresCluster.LoadRunSettings.Where(s => !s.StartsWith("synchronous_commit", StringComparison.Ordinal))], cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            throw new HubEngineException("Could not start a throwaway pg_auto_failover formation: " + e.Message, e);
        }

        // The formation's tests time commands out after 5 s; a load run's bulk writes get the hub's usual 30 s.
        var connectionString = new NpgsqlConnectionStringBuilder(failover.ConnectionString) { CommandTimeout = 30 }.ConnectionString;
        return new HubEngine(Postgres,
            $"PostgreSQL with pg_auto_failover on 127.0.0.1 (monitor :{failover.MonitorPort}, {string.Join(", ", PgAutoFailoverCluster.NodeNames.Select(n => $"{n} :{failover.PortOf(n)}"))}; synchronous standby)",
            new Dictionary<string, string?>
            {
                ["Storage:Engine"] = "postgres",
                ["ConnectionStrings:AlertHub"] = connectionString,
            }, cluster: null, failover);
    }

    /// <summary>
    /// --kill-db-primary: SIGKILLs the primary's machine (its keeper and its postgres), then waits until the monitor has
    /// promoted the standby and it takes writes. Returns how long after the kill that was.
    /// </summary>
    public async Task<TimeSpan> KillPrimaryAsync(CancellationToken cancellationToken)
    {
        var failover = _failover ?? throw new InvalidOperationException("--kill-db-primary needs --ha.");
        var killed = System.Diagnostics.Stopwatch.StartNew();
        var old = await failover.KillPrimaryAsync(cancellationToken);
        var primary = await failover.WaitForPrimaryAsync(old, TimeSpan.FromMinutes(1), cancellationToken);
        var took = killed.Elapsed;
        Console.WriteLine(FormattableString.Invariant($"database: {old} (primary) SIGKILLed; {primary} took writes {took.TotalSeconds:0.0} s later"));
        return took;
    }

    /// <summary>
    /// What the hub did in its PostgreSQL database so far (the server's own statistics, no knowledge of the hub's tables):
    /// proof that the run's writes went there, and the database work behind the figures. Null on SQLite. The server gathers
    /// these per session and publishes them within a second or so of a busy session's commits.
    /// </summary>
    public async Task<Report.StoreActivity?> ActivityAsync(CancellationToken cancellationToken)
    {
        if (_cluster is null || _disposed == 1)
        {
            // --ha: a promoted standby's statistics start at its promotion, which would understate the run.
            return null;
        }

        var connectionString = new NpgsqlConnectionStringBuilder(_cluster.ConnectionString) { Pooling = false }.ConnectionString;
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = @name", connection);
            command.Parameters.AddWithValue("name", DatabaseName);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new Report.StoreActivity(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3))
                : null;
        }
        catch (NpgsqlException e)
        {
            // A figure of the report, not the run: the report is still written, without it.
            Console.Error.WriteLine($"mobile-sim: could not read the database's statistics: {e.Message}");
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1 || (_cluster is null && _failover is null))
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= _atExit;
        // Stop the hub first: pg_ctl's fast stop ends a live hub's sessions, and the hub would log its lost database.
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (_failover is not null)
        {
            await _failover.DisposeAsync();
        }
    }
}

/// <summary>The chosen store engine cannot run here (mobile-sim exits 2: could not run).</summary>
internal sealed class HubEngineException(string message, Exception? inner = null) : Exception(message, inner);
