using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace AlertHub.Tests.Shared.Servers;

/// <summary>
/// A pg_auto_failover formation on loopback for one test class or load run: a monitor and two data nodes (<c>node1</c>
/// primary, <c>node2</c> its synchronous hot standby) in a temp folder. <see cref="KillPrimaryAsync"/> is a machine
/// dying (SIGKILL of the node's keeper and its postgres); the monitor promotes the standby within seconds, and
/// <see cref="RestartNodeAsync"/> brings the dead node back as the new standby. Commands, settings and pitfalls:
/// ../shared/reference/cluster.md, "When the database or Redis server itself dies".
/// </summary>
/// <remarks>
/// Like <see cref="PostgresCluster"/>, the binaries run as the <c>postgres</c> user through <c>runuser</c> when this
/// process is root. Every process this class starts carries an environment variable naming its node's folder, so a
/// node's processes are found by that, not by the process tree: after a SIGKILL the keeper's children are adopted by
/// PID 1 and its postgres controller would otherwise start postgres again.
/// </remarks>
internal sealed class PgAutoFailoverCluster : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private const string FolderPrefix = "alerthub-pgaf-";
    private const string OwnerFile = "owner.pid";
    private const string MarkerVariable = "ALERTHUB_PGAF_NODE";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The monitor's health checks tuned for a test (in ms): with the defaults a SIGKILLed primary takes about 50 s to fail
    /// over (20 s to be declared unhealthy, then 30 s <c>primary_demote_timeout</c>); with these, 3–7 s.
    /// </summary>
    private static readonly (string Name, int Value)[] MonitorSettings =
    [
        ("health_check_period", 1000),
        ("health_check_timeout", 1000),
        ("health_check_max_retries", 1),
        ("health_check_retry_delay", 500),
        ("node_considered_unhealthy_timeout", 2000),
        ("primary_demote_timeout", 2000),
    ];

    private readonly string _bin;
    private readonly string _autoctl;
    private readonly bool _asServiceUser;
    private readonly Dictionary<string, int> _ports;

    private PgAutoFailoverCluster(string bin, string autoctl, string root, string database, Dictionary<string, int> ports, bool asServiceUser)
    {
        _bin = bin;
        _autoctl = autoctl;
        Root = root;
        Database = database;
        _ports = ports;
        _asServiceUser = asServiceUser;
    }

    /// <summary>The data nodes, in the order they were created (the first starts as primary).</summary>
    public static IReadOnlyList<string> NodeNames { get; } = ["node1", "node2"];

    private static IReadOnlyList<string> AllNames { get; } = ["monitor", .. NodeNames];

    public string Root { get; }

    /// <summary>The database pg_auto_failover creates on the nodes (and replicates).</summary>
    public string Database { get; }

    public int MonitorPort => _ports["monitor"];

    public int PortOf(string node) => _ports[node];

    /// <summary>
    /// The hub's connection string: every node, and only a primary will do. <c>Host Recheck Seconds=1</c> makes Npgsql look
    /// for the new primary a second after the old one stopped answering (the default 10 s added that much to the outage).
    /// </summary>
    public string ConnectionString => ConnectionStringFor(Database);

    public string ConnectionStringFor(string database) =>
        $"Host={string.Join(',', NodeNames.Select(n => $"127.0.0.1:{_ports[n]}"))};Username=postgres;Database={database};" +
        "Target Session Attributes=primary;Timeout=3;Command Timeout=5;Host Recheck Seconds=1;Include Error Detail=true";

    /// <summary>The monitor's own database, where <c>pgautofailover.node</c> says who is what.</summary>
    public string MonitorConnectionString =>
        $"Host=127.0.0.1;Port={MonitorPort};Username=postgres;Database=pg_auto_failover;Pooling=false;Timeout=5;Command Timeout=5";

    /// <summary>pg_autoctl on PATH (Debian: /usr/bin, package pg-auto-failover-cli), or null.</summary>
    public static string? FindAutoctl() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin")
            .Select(d => Path.Combine(d, "pg_autoctl"))
            .FirstOrDefault(File.Exists);

    /// <summary>The newest PostgreSQL whose pgautofailover extension is installed, or null.</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        return !Directory.Exists(root)
            ? null
            : Directory.GetDirectories(root)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
                .Where(d => d.Version > 0 && File.Exists(Path.Combine(d.Dir, "bin", "pg_ctl"))
                    && File.Exists($"/usr/share/postgresql/{d.Version}/extension/pgautofailover.control"))
                .OrderByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Dir, "bin"))
                .FirstOrDefault();
    }

    /// <summary>Null when pg_auto_failover can run here (or under CI, where a missing one must fail, not skip); else why not.</summary>
    public static string? SkipReason { get; } =
        (FindAutoctl() is null || FindBinaries() is null) && Environment.GetEnvironmentVariable("CI") != "true"
            ? "needs pg_auto_failover (`apt-get install postgresql-15-auto-failover pg-auto-failover-cli`; .ci/run installs it)"
            : null;

    /// <summary>
    /// Starts the monitor, then node1 (primary), then node2 (its standby), and returns once node1 is primary and node2
    /// secondary (about 3–8 s). <paramref name="settings"/> are appended to the data nodes' postgresql.conf (node2 gets them
    /// with its base backup). On failure everything started so far is stopped and removed before the exception leaves.
    /// </summary>
    public static async Task<PgAutoFailoverCluster> StartAsync(string database = "alerthub", IReadOnlyList<string>? settings = null,
        CancellationToken cancellationToken = default)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException("pg_auto_failover's extension not found (apt-get install postgresql-15-auto-failover).");
        var autoctl = FindAutoctl() ?? throw new InvalidOperationException("pg_autoctl not found (apt-get install pg-auto-failover-cli).");
        var asServiceUser = Environment.UserName == "root";
        SweepAbandoned();
        var root = Directory.CreateTempSubdirectory(FolderPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
        var ports = FreePorts(["monitor", .. NodeNames]);
        var cluster = new PgAutoFailoverCluster(bin, autoctl, root, database, ports, asServiceUser);
        try
        {
            foreach (var name in AllNames)
            {
                foreach (var dir in new[] { "xdg/config", "xdg/data", "xdg/run" })
                {
                    Directory.CreateDirectory(Path.Combine(root, name, dir));
                }
            }

            if (asServiceUser)
            {
                Run("chown", ["-R", $"{ServiceUser}:", root], asServiceUser: false);
            }

            foreach (var name in new[] { "monitor", NodeNames[0] })
            {
                cluster.RunTool(Path.Combine(bin, "initdb"), ["-D", cluster.DataDirectory(name), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
                var conf = new StringBuilder()
                    // Without it pg_autoctl looks for the socket in /var/run/postgresql and loops. One folder for all: node2's
                    // base backup copies node1's postgresql.conf, and the ports tell the sockets apart.
                    .AppendLine($"unix_socket_directories = '{root}'")
                    // Without it the standby's pg_basebackup waits (about 90 s) for a spread checkpoint.
                    .AppendLine("checkpoint_completion_target = 0")
                    .AppendLine("shared_buffers = 128MB");
                foreach (var setting in name == "monitor" ? [] : settings ?? [])
                {
                    conf.AppendLine(setting);
                }

                await File.AppendAllTextAsync(Path.Combine(cluster.DataDirectory(name), "postgresql.conf"), conf.ToString(), cancellationToken);
            }

            cluster.Spawn("monitor", ["create", "monitor", "--pgdata", cluster.DataDirectory("monitor"), "--pgport", P(ports["monitor"]),
                "--pgctl", Path.Combine(bin, "pg_ctl"), "--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl", "--run"]);
            await cluster.UntilAsync(async ct => await cluster.MonitorScalarAsync("SELECT count(*) FROM pgautofailover.formation", ct) is not null,
                TimeSpan.FromSeconds(60), "the monitor to answer", cancellationToken);
            foreach (var (name, value) in MonitorSettings)
            {
                await cluster.MonitorScalarAsync($"ALTER SYSTEM SET pgautofailover.{name} = {value}", cancellationToken);
            }

            await cluster.MonitorScalarAsync("SELECT pg_reload_conf()", cancellationToken);

            cluster.SpawnNode(NodeNames[0], create: true);
            await cluster.UntilAsync(async ct => await cluster.StateOfAsync(NodeNames[0], ct) == "single", TimeSpan.FromSeconds(60),
                $"{NodeNames[0]} to run as a single node", cancellationToken);
            cluster.SpawnNode(NodeNames[1], create: true);
            await cluster.WaitForStandbyAsync(NodeNames[1], TimeSpan.FromSeconds(90), cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Each node's reported and goal state, as the monitor sees them: "node1 primary/primary, node2 secondary/secondary".</summary>
    public async Task<string> DescribeAsync(CancellationToken cancellationToken = default) =>
        await MonitorScalarAsync("SELECT string_agg(nodename || ' ' || reportedstate || '/' || goalstate, ', ' ORDER BY nodename) FROM pgautofailover.node",
            cancellationToken) as string ?? "(no nodes)";

    /// <summary>The node the monitor has made primary and that has reached that state (single, wait_primary or primary), or null mid-failover.</summary>
    public async Task<string?> PrimaryAsync(CancellationToken cancellationToken = default) =>
        await MonitorScalarAsync("""
            SELECT nodename FROM pgautofailover.node
            WHERE reportedstate = goalstate AND goalstate IN ('single', 'wait_primary', 'primary') ORDER BY nodename LIMIT 1
            """, cancellationToken) as string;

    /// <summary>
    /// The machine of the primary dies: its keeper and its postgres are SIGKILLed together, nothing is shut down cleanly.
    /// Returns the node's name.
    /// </summary>
    public async Task<string> KillPrimaryAsync(CancellationToken cancellationToken = default)
    {
        var primary = await PrimaryAsync(cancellationToken)
            ?? throw new InvalidOperationException($"no primary to kill: {await DescribeAsync(cancellationToken)}");
        KillNode(primary);
        return primary;
    }

    /// <summary>SIGKILLs every process of one node until none is left (the orphaned postgres controller would start postgres again).</summary>
    public void KillNode(string node) => KillMarked(Path.Combine(Root, node), exact: true);

    /// <summary>
    /// Waits until a node other than <paramref name="notNode"/> is primary by the monitor's account and takes writes
    /// (not in recovery, not read-only); returns its name.
    /// </summary>
    public async Task<string> WaitForPrimaryAsync(string? notNode, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        string? primary = null;
        await UntilAsync(async ct =>
        {
            primary = await PrimaryAsync(ct);
            return primary is not null && primary != notNode && await TakesWritesAsync(primary, ct);
        }, timeout, notNode is null ? "a primary" : $"a primary other than {notNode}", cancellationToken);
        return primary!;
    }

    /// <summary>
    /// Starts a killed node's keeper again (<c>pg_autoctl run</c>); it rewinds and rejoins as the standby of the current
    /// primary. Returns once the monitor reports it secondary (about 8 s).
    /// </summary>
    public async Task RestartNodeAsync(string node, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        KillNode(node);
        SpawnNode(node, create: false);
        await WaitForStandbyAsync(node, timeout, cancellationToken);
    }

    private async Task WaitForStandbyAsync(string node, TimeSpan timeout, CancellationToken cancellationToken) =>
        await UntilAsync(async ct =>
        {
            var other = NodeNames.Single(n => n != node);
            return await StateOfAsync(node, ct) == "secondary" && await StateOfAsync(other, ct) == "primary";
        }, timeout, $"{node} to rejoin as the standby", cancellationToken);

    /// <summary>The state a node has reached (reported = goal: "primary", "secondary", …), or null while it is between states.</summary>
    public async Task<string?> StateOfAsync(string node, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(MonitorConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT reportedstate::text FROM pgautofailover.node WHERE nodename = @n AND reportedstate = goalstate", connection);
        command.Parameters.AddWithValue("n", node);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private async Task<bool> TakesWritesAsync(string node, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(
                $"Host=127.0.0.1;Port={_ports[node]};Username=postgres;Database={Database};Pooling=false;Timeout=3;Command Timeout=3");
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'", connection);
            return await command.ExecuteScalarAsync(cancellationToken) is true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    private async Task<object?> MonitorScalarAsync(string sql, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(MonitorConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(sql, connection);
            var value = await command.ExecuteScalarAsync(cancellationToken);
            return value is DBNull ? null : value;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return null;
        }
    }

    private async Task UntilAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition(cancellationToken))
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"pg_auto_failover: waited {timeout.TotalSeconds:N0} s for {what}; monitor says {await DescribeAsync(cancellationToken)}; " +
                    $"logs: {string.Join(" | ", AllNames.Select(n => $"{n}: {LogTail(n, 5)}"))}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>The last lines of a node's pg_autoctl log, for error messages.</summary>
    public string LogTail(string node, int lines = 20)
    {
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(Path.Combine(Root, node, "autoctl.log")).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private string DataDirectory(string node) => Path.Combine(Root, node, "pgdata");

    private string MonitorUri => $"postgres://autoctl_node@127.0.0.1:{MonitorPort}/pg_auto_failover?sslmode=disable";

    private void SpawnNode(string node, bool create)
    {
        string[] arguments = create
            ?
            [
                "create", "postgres", "--pgdata", DataDirectory(node), "--pgport", P(_ports[node]), "--pgctl", Path.Combine(_bin, "pg_ctl"),
                "--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--name", node, "--dbname", Database, "--auth", "trust", "--no-ssl",
                "--monitor", MonitorUri, "--run",
            ]
            : ["run", "--pgdata", DataDirectory(node)];
        Spawn(node, arguments);
    }

    /// <summary>
    /// Starts <c>pg_autoctl</c> in the background for one node, its output appended to the node's autoctl.log, with the
    /// node's own XDG folders (pg_autoctl keeps its state there) and the marker that finds its processes again.
    /// </summary>
    private void Spawn(string node, IReadOnlyList<string> arguments)
    {
        var folder = Path.Combine(Root, node);
        var environment = new Dictionary<string, string>
        {
            [MarkerVariable] = folder,
            ["XDG_CONFIG_HOME"] = Path.Combine(folder, "xdg", "config"),
            ["XDG_DATA_HOME"] = Path.Combine(folder, "xdg", "data"),
            ["XDG_RUNTIME_DIR"] = Path.Combine(folder, "xdg", "run"),
            // pg_autoctl connects to its local postgres through the socket; PGHOST says where it is.
            ["PGHOST"] = Root,
        };
        var command = new StringBuilder("exec env");
        foreach (var (key, value) in environment)
        {
            command.Append(' ').Append(Quote($"{key}={value}"));
        }

        command.Append(' ').Append(Quote(_autoctl));
        foreach (var a in arguments)
        {
            command.Append(' ').Append(Quote(a));
        }

        command.Append(" >> ").Append(Quote(Path.Combine(folder, "autoctl.log"))).Append(" 2>&1");
        var start = new ProcessStartInfo
        {
            FileName = _asServiceUser ? "runuser" : "/bin/sh",
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var a in _asServiceUser ? ["-u", ServiceUser, "--", "/bin/sh", "-c", command.ToString()] : new[] { "-c", command.ToString() })
        {
            start.ArgumentList.Add(a);
        }

        // Also on runuser itself, so that it is found and ended with the node.
        start.Environment[MarkerVariable] = folder;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start pg_autoctl for {node}");
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Stops every process of the formation (SIGKILL: the folder is deleted next) and deletes the folder.</summary>
    public ValueTask DisposeAsync()
    {
        KillMarked(Root, exact: false);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.WriteLine($"Could not delete {Root}: {e.Message}");
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// SIGKILLs, round after round until none is left (at most 10 s), every process whose marker names
    /// <paramref name="folder"/> (or, unless <paramref name="exact"/>, a folder inside it).
    /// </summary>
    private static void KillMarked(string folder, bool exact)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            var marked = MarkedProcesses(folder, exact);
            if (marked.Count == 0)
            {
                return;
            }

            foreach (var pid in marked)
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Gone already.
                }
            }

            Thread.Sleep(50);
        }
    }

    private static List<int> MarkedProcesses(string folder, bool exact)
    {
        var found = new List<int>();
        if (!Directory.Exists("/proc"))
        {
            return found;
        }

        var marker = $"{MarkerVariable}={folder}";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                // A zombie has an empty environment; it is already dead and only waits to be reaped.
                foreach (var entry in environ.Split('\0'))
                {
                    if (exact ? entry == marker : entry.StartsWith(marker, StringComparison.Ordinal))
                    {
                        found.Add(pid);
                        break;
                    }
                }

                // A postgres child writes its process title over the memory its environment was read from, so the marker is
                // gone from it; but it runs in its data folder. A monitor's healthcheck worker outlived its killed postmaster
                // for good (with the logger it kept open) until this looked there too.
                if (found.LastOrDefault() != pid && new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget is { } cwd
                    && (cwd == folder || cwd.StartsWith(folder + "/", StringComparison.Ordinal)))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Ended meanwhile, or not ours to read.
            }
        }

        return found;
    }

    /// <summary>
    /// Formations whose owner died without disposing them (a killed test host, a Ctrl+C'd run) keep a monitor and two nodes
    /// running for ever: each start stops and removes those whose owner's pid is gone.
    /// </summary>
    private static void SweepAbandoned()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            try
            {
                var ownerFile = Path.Combine(folder, OwnerFile);
                if (!File.Exists(ownerFile)
                    || !int.TryParse(File.ReadAllText(ownerFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var owner)
                    || IsRunning(owner))
                {
                    continue;
                }

                KillMarked(folder, exact: false);
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run is sweeping it too.
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private void RunTool(string program, IReadOnlyList<string> arguments) => Run(program, arguments, _asServiceUser);

    private static void Run(string fileName, IReadOnlyList<string> arguments, bool asServiceUser)
    {
        var start = new ProcessStartInfo
        {
            FileName = asServiceUser ? "runuser" : fileName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var a in (asServiceUser ? ["-u", ServiceUser, "--", fileName] : Array.Empty<string>()).Concat(arguments))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ToolTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} did not finish within {ToolTimeout.TotalSeconds:N0} s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} exited {process.ExitCode}: {stdout.Result}{stderr.Result}".Trim());
        }
    }

    /// <summary>
    /// Free ports below the ephemeral range (16000–31999): a random ephemeral port can be taken by an outgoing connection
    /// between the check and the server's bind, which happened here.
    /// </summary>
    private static Dictionary<string, int> FreePorts(IReadOnlyList<string> names)
    {
        var ports = new Dictionary<string, int>();
        foreach (var name in names)
        {
            for (var attempt = 0; ; attempt++)
            {
                var port = Random.Shared.Next(16000, 32000);
                if (ports.ContainsValue(port) || !IsFree(port))
                {
                    if (attempt > 200)
                    {
                        throw new InvalidOperationException("no free port in 16000–31999");
                    }

                    continue;
                }

                ports[name] = port;
                break;
            }
        }

        return ports;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
