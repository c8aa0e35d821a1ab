using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AlertHub.Tests.Shared.Servers;

/// <summary>
/// A throwaway Redis with automatic failover on 127.0.0.1, in a temp folder of its own: a primary, one replica and three
/// <c>redis-sentinel</c> processes watching them (<c>down-after-milliseconds 2000</c>, <c>failover-timeout 10000</c>: a
/// SIGKILLed primary is replaced in about 2–4 s; 1000 ms once gave a spurious second failover here). No persistence.
/// <see cref="Configuration"/> is what <c>Cluster:Redis</c> takes. Ports are random below the ephemeral range (random
/// ephemeral ones clashed with outgoing connections).
/// </summary>
/// <remarks>
/// Every process runs daemonized with this folder as its working directory, so a later start finds and stops the
/// processes of a cluster whose test process died (SIGKILL included) by that, not by a pid file that may be stale.
/// </remarks>
internal sealed class RedisSentinelCluster : IAsyncDisposable
{
    /// <summary>The name the sentinels know the primary by.</summary>
    public const string ServiceName = "mymaster";

    private const string FolderPrefix = "alerthub-sentinel-";
    private const string OwnerFile = "owner.pid";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _server;
    private readonly string _sentinel;
    private readonly int[] _serverPorts;
    private readonly int[] _sentinelPorts;

    private RedisSentinelCluster(string server, string sentinel, string root, int[] serverPorts, int[] sentinelPorts)
    {
        _server = server;
        _sentinel = sentinel;
        Root = root;
        _serverPorts = serverPorts;
        _sentinelPorts = sentinelPorts;
    }

    public string Root { get; }

    /// <summary>The two data servers' ports (the first started as the primary).</summary>
    public IReadOnlyList<int> ServerPorts => _serverPorts;

    /// <summary>The three sentinels' ports.</summary>
    public IReadOnlyList<int> SentinelPorts => _sentinelPorts;

    /// <summary>A StackExchange.Redis configuration string that finds the primary through the sentinels.</summary>
    public string Configuration =>
        string.Join(",", _sentinelPorts.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture))) + $",serviceName={ServiceName},abortConnect=false";

    /// <summary>redis-server and redis-sentinel on PATH (or Debian's /usr/bin), or null.</summary>
    public static (string Server, string Sentinel)? FindPrograms() =>
        (Find("redis-server"), Find("redis-sentinel")) is ({ } server, { } sentinel) ? (server, sentinel) : null;

    /// <summary>Null when the cluster can run here (or under CI, where a missing program must fail, not skip); else why not.</summary>
    public static string? SkipReason { get; } =
        FindPrograms() is null && Environment.GetEnvironmentVariable("CI") != "true"
            ? "needs redis-server and redis-sentinel (`apt-get install redis-server redis-sentinel`; .ci/run installs them)"
            : null;

    /// <summary>Starts the primary, its replica once synced, then the sentinels, and returns once they know each other.</summary>
    public static async Task<RedisSentinelCluster> StartAsync()
    {
        var (server, sentinel) = FindPrograms() ?? throw new InvalidOperationException("redis-server or redis-sentinel not found (apt-get install redis-server redis-sentinel).");
        SweepAbandoned();
        var root = Directory.CreateTempSubdirectory(FolderPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var ports = FreePorts(5);
        var cluster = new RedisSentinelCluster(server, sentinel, root, ports[..2], ports[2..]);
        try
        {
            await cluster.StartServerAsync(0, replicaOf: null);
            await cluster.StartServerAsync(1, replicaOf: cluster._serverPorts[0]);
            await cluster.WaitAsync(async () => await cluster.IsSyncedReplicaAsync(cluster._serverPorts[1]), "the replica to sync");
            for (var i = 0; i < cluster._sentinelPorts.Length; i++)
            {
                await cluster.StartSentinelAsync(i);
            }

            // A failover needs a majority of the sentinels to agree, so each must have found the others (they announce
            // themselves through the primary every 2 s) and the replica.
            await cluster.WaitAsync(async () =>
            {
                foreach (var port in cluster._sentinelPorts)
                {
                    if (await CountAsync(port, "SENTINEL", "SENTINELS", ServiceName) < 2 || await CountAsync(port, "SENTINEL", "REPLICAS", ServiceName) < 1)
                    {
                        return false;
                    }
                }

                return true;
            }, "the sentinels to find each other and the replica");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The primary's port as the sentinels see it (the first that answers).</summary>
    public async Task<int> PrimaryAsync()
    {
        Exception? last = null;
        foreach (var sentinel in _sentinelPorts)
        {
            try
            {
                if (await RespClient.CommandAsync(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName) is object?[] { Length: 2 } address)
                {
                    return int.Parse((string)address[1]!, CultureInfo.InvariantCulture);
                }
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException or InvalidOperationException)
            {
                last = e;
            }
        }

        throw new InvalidOperationException("No sentinel names a primary.", last);
    }

    /// <summary>SIGKILLs the current primary and returns its port once it no longer answers.</summary>
    public async Task<int> KillPrimaryAsync()
    {
        var port = await PrimaryAsync();
        KillServer(port);
        await WaitAsync(async () => !await PingsAsync(port), $"the primary on {port} to stop answering");
        return port;
    }

    /// <summary>
    /// Waits until the sentinels name a primary other than <paramref name="oldPrimary"/> and that server answers as a
    /// primary (writable); returns its port.
    /// </summary>
    public async Task<int> WaitForNewPrimaryAsync(int oldPrimary, TimeSpan? timeout = null)
    {
        var port = 0;
        await WaitAsync(async () =>
        {
            try
            {
                port = await PrimaryAsync();
            }
            catch (InvalidOperationException)
            {
                return false;
            }

            return port != oldPrimary && await RoleAsync(port) == "master";
        }, $"a primary other than {oldPrimary}", timeout ?? TimeSpan.FromSeconds(30));
        return port;
    }

    /// <summary>
    /// Starts the killed server again as a replica of the current primary and returns once it has synced and every
    /// sentinel lists it as a replica that is up, so a second failover can promote it.
    /// </summary>
    public async Task RestartOldPrimaryAsync(int oldPrimary)
    {
        var index = Array.IndexOf(_serverPorts, oldPrimary);
        if (index < 0)
        {
            throw new ArgumentException($"{oldPrimary} is not one of this cluster's servers.", nameof(oldPrimary));
        }

        var primary = await PrimaryAsync();
        await StartServerAsync(index, replicaOf: primary);
        await WaitAsync(async () => await IsSyncedReplicaAsync(oldPrimary), $"{oldPrimary} to sync from {primary}");
        await WaitAsync(async () =>
        {
            foreach (var sentinel in _sentinelPorts)
            {
                var replicas = await RespClient.CommandAsync(sentinel, "SENTINEL", "REPLICAS", ServiceName) as object?[] ?? [];
                var known = replicas.OfType<object?[]>().Select(Fields).Any(f =>
                    f.GetValueOrDefault("port") == oldPrimary.ToString(CultureInfo.InvariantCulture)
                    && !(f.GetValueOrDefault("flags") ?? "").Contains("down", StringComparison.Ordinal)
                    && f.GetValueOrDefault("master-link-status") == "ok");
                if (!known)
                {
                    return false;
                }
            }

            return true;
        }, $"every sentinel to see {oldPrimary} as a live replica", TimeSpan.FromSeconds(40));
    }

    /// <summary>Stops every process of the cluster and deletes its folder.</summary>
    public ValueTask DisposeAsync()
    {
        StopAll(Root);
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

    /// <summary>The last lines of every log of the cluster, for error messages.</summary>
    public string LogTail(int lines = 15)
    {
        var text = new StringBuilder();
        foreach (var log in Directory.EnumerateFiles(Root, "*.log").Order(StringComparer.Ordinal))
        {
            try
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"== {Path.GetFileName(log)}");
                foreach (var line in File.ReadLines(log).TakeLast(lines))
                {
                    text.AppendLine(line);
                }
            }
            catch (IOException)
            {
            }
        }

        return text.ToString();
    }

    private async Task StartServerAsync(int index, int? replicaOf)
    {
        var port = _serverPorts[index];
        var name = "server-" + port.ToString(CultureInfo.InvariantCulture);
        List<string> arguments =
        [
            "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no",
            "--daemonize", "yes", "--pidfile", Path.Combine(Root, name + ".pid"), "--logfile", Path.Combine(Root, name + ".log"), "--dir", Root,
            // Full syncs straight over the socket: no RDB file, no 5 s wait for more replicas.
            "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--dbfilename", name + ".rdb",
        ];
        if (replicaOf is { } primary)
        {
            arguments.AddRange(["--replicaof", "127.0.0.1", primary.ToString(CultureInfo.InvariantCulture)]);
        }

        RedisServer.Run(_server, arguments);
        await WaitAsync(() => PingsAsync(port), $"redis-server on {port} to answer");
    }

    private async Task StartSentinelAsync(int index)
    {
        var port = _sentinelPorts[index];
        var name = "sentinel-" + port.ToString(CultureInfo.InvariantCulture);
        // A sentinel rewrites its configuration file (what it learns of replicas, other sentinels, epochs), so each has its own.
        var configuration = Path.Combine(Root, name + ".conf");
        await File.WriteAllTextAsync(configuration, string.Join('\n',
            $"port {port}",
            "bind 127.0.0.1",
            "daemonize yes",
            $"pidfile {Path.Combine(Root, name + ".pid")}",
            $"logfile {Path.Combine(Root, name + ".log")}",
            $"dir {Root}",
            $"sentinel monitor {ServiceName} 127.0.0.1 {_serverPorts[0]} 2",
            $"sentinel down-after-milliseconds {ServiceName} 2000",
            $"sentinel failover-timeout {ServiceName} 10000",
            $"sentinel parallel-syncs {ServiceName} 1",
            "") );
        RedisServer.Run(_sentinel, [configuration]);
        await WaitAsync(() => PingsAsync(port), $"redis-sentinel on {port} to answer");
    }

    private void KillServer(int port)
    {
        var pidFile = Path.Combine(Root, $"server-{port.ToString(CultureInfo.InvariantCulture)}.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !ProcessesIn(Root).Contains(pid))
        {
            throw new InvalidOperationException($"No running server of this cluster on {port}.");
        }

        using var process = Process.GetProcessById(pid);
        process.Kill();
    }

    private async Task<bool> IsSyncedReplicaAsync(int port)
    {
        try
        {
            var info = await RespClient.CommandAsync(port, "INFO", "replication") as string ?? "";
            return info.Contains("role:slave", StringComparison.Ordinal) && info.Contains("master_link_status:up", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task<string?> RoleAsync(int port)
    {
        try
        {
            return (await RespClient.CommandAsync(port, "ROLE") as object?[])?.FirstOrDefault() as string;
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task<int> CountAsync(int port, params string[] command)
    {
        try
        {
            return (await RespClient.CommandAsync(port, command) as object?[])?.Length ?? 0;
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or InvalidOperationException)
        {
            return 0;
        }
    }

    private static Dictionary<string, string?> Fields(object?[] pairs)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            fields[(string)pairs[i]!] = pairs[i + 1] as string;
        }

        return fields;
    }

    private static async Task<bool> PingsAsync(int port)
    {
        try
        {
            return await RespClient.CommandAsync(port, "PING") as string == "PONG";
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    private async Task WaitAsync(Func<Task<bool>> done, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!await done())
        {
            if (deadline.Elapsed > (timeout ?? StartTimeout))
            {
                throw new InvalidOperationException($"Timed out after {deadline.Elapsed.TotalSeconds:N0} s waiting for {what}.{Environment.NewLine}{LogTail()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The processes whose working directory is <paramref name="root"/>: every server and sentinel of that cluster (each
    /// changes into its <c>dir</c>), however it ended, whatever its pid files say.
    /// </summary>
    private static HashSet<int> ProcessesIn(string root)
    {
        var found = new HashSet<int>();
        foreach (var entry in Directory.Exists("/proc") ? Directory.EnumerateDirectories("/proc") : [])
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (new DirectoryInfo(Path.Combine(entry, "cwd")).LinkTarget is { } cwd && cwd.TrimEnd('/') == root.TrimEnd('/'))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone, or another user's.
            }
        }

        return found;
    }

    private static void StopAll(string root)
    {
        foreach (var pid in ProcessesIn(root))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                // Nothing to save; no wait either: the daemons are not our children, so only init sees them exit.
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    /// <summary>Clusters whose test process ended without disposing them: stopped and removed (as RedisServer does).</summary>
    private static void SweepAbandoned()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            try
            {
                var ownerFile = Path.Combine(folder, OwnerFile);
                var abandoned = File.Exists(ownerFile)
                    ? int.TryParse(File.ReadAllText(ownerFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var owner) && !IsRunning(owner)
                    : Directory.GetCreationTimeUtc(folder) < DateTime.UtcNow.AddHours(-1);
                if (abandoned)
                {
                    StopAll(folder);
                    Directory.Delete(folder, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Another run is sweeping it too, or it is not ours to remove.
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

    private static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin")
            .Select(d => Path.Combine(d, program))
            .FirstOrDefault(File.Exists);

    /// <summary>Distinct free ports in 16000–31999, below the ephemeral range, so no outgoing connection takes one meanwhile.</summary>
    private static int[] FreePorts(int count)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            var port = Random.Shared.Next(16000, 32000);
            if (ports.Contains(port))
            {
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                ports.Add(port);
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }

        return [.. ports];
    }

    /// <summary>Just enough of the Redis protocol (RESP2) to ask the servers and sentinels about roles, without a client library.</summary>
    private static class RespClient
    {
        public static async Task<object?> CommandAsync(int port, params string[] command)
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
                var stream = client.GetStream();
                var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"*{command.Length}\r\n");
                foreach (var part in command)
                {
                    request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
                }

                await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                return await ReadAsync(reader, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Redis on {port} did not answer {command[0]} within 2 s.");
            }
        }

        private static async Task<object?> ReadAsync(StreamReader reader, CancellationToken cancellationToken)
        {
            var line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("Connection closed.");
            var rest = line.Length > 0 ? line[1..] : "";
            switch (line.Length > 0 ? line[0] : ' ')
            {
                case '+':
                    return rest;
                case '-':
                    throw new InvalidOperationException("Redis error: " + rest);
                case ':':
                    return long.Parse(rest, CultureInfo.InvariantCulture);
                case '$':
                    var length = int.Parse(rest, CultureInfo.InvariantCulture);
                    if (length < 0)
                    {
                        return null;
                    }

                    // Bulk strings here are INFO text and names: ASCII, so characters equal bytes.
                    var buffer = new char[length + 2];
                    var read = 0;
                    while (read < buffer.Length)
                    {
                        var n = await reader.ReadAsync(buffer.AsMemory(read), cancellationToken);
                        read += n > 0 ? n : throw new IOException("Connection closed.");
                    }

                    return new string(buffer, 0, length);
                case '*':
                    var count = int.Parse(rest, CultureInfo.InvariantCulture);
                    if (count < 0)
                    {
                        return null;
                    }

                    var items = new object?[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = await ReadAsync(reader, cancellationToken);
                    }

                    return items;
                default:
                    throw new IOException("Unexpected reply: " + line);
            }
        }
    }
}
