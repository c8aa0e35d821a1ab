using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AlertHub.Tests.Shared.Servers;

/// <summary>
/// A throwaway <c>redis-server</c> on a random 127.0.0.1 port, in a temp folder of its own, with no persistence (about
/// 0.15 s to the first PONG). <see cref="Shared"/> is the one per test process: started by the first test that asks,
/// stopped when the process exits. Nothing touches a Redis the machine may run itself (Debian's package starts none here).
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private const string FolderPrefix = "alerthub-redis-";
    private const string OwnerFile = "owner.pid";
    private static readonly Lazy<Task<RedisServer>> Instance = new(StartSharedAsync);

    private RedisServer(string root, int port)
    {
        Root = root;
        Port = port;
    }

    public string Root { get; }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server (what <c>Cluster:Redis</c> takes).</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false";

    private string PidFile => Path.Combine(Root, "redis.pid");

    private string LogFile => Path.Combine(Root, "redis.log");

    /// <summary>The redis-server program on PATH (or Debian's /usr/bin), or null.</summary>
    public static string? FindServer() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin")
            .Select(d => Path.Combine(d, "redis-server"))
            .FirstOrDefault(File.Exists);

    /// <summary>Null when redis-server can run here (or under CI, where a missing server must fail, not skip); else why not.</summary>
    public static string? SkipReason { get; } =
        FindServer() is null && Environment.GetEnvironmentVariable("CI") != "true"
            ? "needs redis-server (`apt-get install redis-server`; .ci/run installs it)"
            : null;

    /// <summary>The server shared by every test of this process.</summary>
    public static Task<RedisServer> Shared => Instance.Value;

    private static async Task<RedisServer> StartSharedAsync()
    {
        var server = await StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }

    /// <summary>Starts a server and waits until it answers PING. On failure the folder is removed before the exception leaves.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var program = FindServer() ?? throw new InvalidOperationException("redis-server not found (apt-get install redis-server).");
        SweepAbandoned();
        var root = Directory.CreateTempSubdirectory(FolderPrefix).FullName;
        // Who owns this server: a later run stops and removes it if this process dies (or the test host is ended) first.
        await File.WriteAllTextAsync(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var server = new RedisServer(root, FreePort());
        try
        {
            // --daemonize: redis-server forks and the parent exits once the child is set up; the pid file names the child.
            Run(program, ["--bind", "127.0.0.1", "--port", server.Port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no",
                "--daemonize", "yes", "--pidfile", server.PidFile, "--logfile", server.LogFile, "--dir", root]);
            var deadline = Stopwatch.StartNew();
            while (!await server.PingsAsync())
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException($"redis-server on port {server.Port} did not answer within 30 s: {server.LogTail()}");
                }

                await Task.Delay(20);
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the server and deletes its folder.</summary>
    public ValueTask DisposeAsync()
    {
        if (ServerProcess() is { } process)
        {
            using (process)
            {
                try
                {
                    // Nothing to save (no persistence), so no graceful shutdown; and no wait: the daemon is not our child, so
                    // its exit is only seen once init reaps it, and the test host may be ended before that.
                    process.Kill();
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }
        }

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

    /// <summary>The last lines of the server log, for error messages.</summary>
    public string LogTail(int lines = 20)
    {
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no server log)";
        }
    }

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return read >= 5 && System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private Process? ServerProcess() => ProcessOf(PidFile);

    /// <summary>The running redis-server whose pid the file names, if any (a stale pid file may name someone else's process).</summary>
    private static Process? ProcessOf(string pidFile)
    {
        try
        {
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                var process = Process.GetProcessById(pid);
                if (!process.HasExited && process.ProcessName.StartsWith("redis", StringComparison.Ordinal))
                {
                    return process;
                }

                process.Dispose();
            }
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
        }

        return null;
    }

    /// <summary>
    /// Servers whose test process ended without disposing them (the test host is often ended before its exit handlers
    /// run) keep running and keep their folder. Each start stops those whose owner is gone, or, without an owner file,
    /// that are over an hour old, and removes their folders.
    /// </summary>
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
                if (!abandoned)
                {
                    continue;
                }

                using (var process = ProcessOf(Path.Combine(folder, "redis.pid")))
                {
                    process?.Kill();
                    process?.WaitForExit(TimeSpan.FromSeconds(5));
                }

                Directory.Delete(folder, recursive: true);
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

    /// <summary>Runs a daemonizing program (redis-server, redis-sentinel with --daemonize yes) and waits for it to detach.</summary>
    internal static void Run(string fileName, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            throw new InvalidOperationException($"{fileName} did not daemonize within 30 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} exited {process.ExitCode}: {stdout.Result}{stderr.Result}".Trim());
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
