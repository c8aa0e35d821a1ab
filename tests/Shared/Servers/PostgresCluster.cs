using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AlertHub.Tests.Shared.Servers;

/// <summary>
/// A PostgreSQL cluster that lives in a temp folder for one test or benchmark run: initdb, start on 127.0.0.1 with its
/// unix socket in the same folder, stop and delete in <see cref="DisposeAsync"/>. Nothing touches the machine's own
/// cluster (Debian's packages do not start one here anyway).
/// </summary>
/// <remarks>
/// initdb and postgres refuse to run as root. When this process is root the binaries run as the <c>postgres</c>
/// system user (created by the Debian package) through <c>runuser -u postgres --</c>, and the temp folder is
/// chowned to it; as any other user they run directly.
/// </remarks>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);

    private readonly string _bin;
    private readonly bool _asServiceUser;
    private bool _started;

    private PostgresCluster(string bin, string root, int port, bool asServiceUser)
    {
        _bin = bin;
        Root = root;
        Port = port;
        _asServiceUser = asServiceUser;
    }

    /// <summary>
    /// Server settings for load runs and benchmarks that set PostgreSQL beside the embedded engine: as durable as the hub's
    /// SQLite (WAL with <c>synchronous = NORMAL</c>: a commit is not flushed on its own, a crash loses at most the last
    /// commits and never corrupts), hence fsync on and <c>synchronous_commit = off</c>; buffers and WAL sized so that a
    /// million-recipient outbox does not wait for checkpoints. Tests use cheaper settings of their own.
    /// </summary>
    public static IReadOnlyList<string> LoadRunSettings { get; } =
    [
        "synchronous_commit = off",
        "shared_buffers = 512MB",
        "work_mem = 32MB",
        "maintenance_work_mem = 256MB",
        "max_wal_size = 4GB",
        "checkpoint_timeout = 15min",
        "max_connections = 200",
    ];

    public string Root { get; }

    public int Port { get; }

    private string DataDirectory => Path.Combine(Root, "data");

    private string LogFile => Path.Combine(Root, "postgres.log");

    /// <summary>Through the unix socket: the hub's engine answers in-process, so the cheapest transport is the fair one.</summary>
    public string ConnectionString =>
        $"Host={Root};Port={Port};Username=postgres;Database=postgres;Pooling=true;Timeout=30;Command Timeout=900;Include Error Detail=true";

    /// <summary>Over TCP on 127.0.0.1, as the hub is configured in production (a connection string with a host name).</summary>
    public string TcpConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=15;Command Timeout=300;Include Error Detail=true";

    /// <summary>The newest <c>/usr/lib/postgresql/N/bin</c> that has initdb and pg_ctl (and, if asked, a PostGIS extension), or null.</summary>
    public static string? FindBinaries(bool withPostGis = true)
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
            .Where(d => d.Version > 0
                && File.Exists(Path.Combine(d.Dir, "bin", "initdb"))
                && File.Exists(Path.Combine(d.Dir, "bin", "pg_ctl"))
                && (!withPostGis || File.Exists($"/usr/share/postgresql/{d.Version}/extension/postgis.control")))
            .OrderByDescending(d => d.Version)
            .Select(d => Path.Combine(d.Dir, "bin"))
            .FirstOrDefault();
    }

    /// <summary>initdb + start. On failure everything created so far is removed before the exception leaves.</summary>
    public static async Task<PostgresCluster> StartAsync(string bin, IReadOnlyList<string> settings)
    {
        var asServiceUser = Environment.UserName == "root";
        SweepAbandoned();
        var root = Directory.CreateTempSubdirectory(FolderPrefix).FullName;
        // Who owns this cluster: a later run stops and removes it if this process dies without disposing it.
        await File.WriteAllTextAsync(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var cluster = new PostgresCluster(bin, root, FreePort(), asServiceUser);
        try
        {
            if (asServiceUser)
            {
                // The postmaster creates its socket and lock file here, so the service user must own the folder.
                Run("chown", [$"{ServiceUser}:", root], asServiceUser: false);
            }

            cluster.RunTool("initdb", ["-D", cluster.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
            var conf = new StringBuilder()
                .AppendLine("listen_addresses = '127.0.0.1'")
                .AppendLine($"port = {cluster.Port}")
                .AppendLine($"unix_socket_directories = '{root}'");
            foreach (var setting in settings)
            {
                conf.AppendLine(setting);
            }

            // Appending keeps the file's owner (the service user), so root may write it.
            await File.AppendAllTextAsync(Path.Combine(cluster.DataDirectory, "postgresql.conf"), conf.ToString());
            cluster._started = true;
            cluster.RunTool("pg_ctl", ["start", "-D", cluster.DataDirectory, "-l", cluster.LogFile, "-w", "-t", "60"]);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private const string FolderPrefix = "alerthub-postgres-";
    private const string OwnerFile = "owner.pid";

    /// <summary>
    /// Clusters whose owning process died without disposing them (a killed test host, a Ctrl+C'd load run) keep their
    /// postmaster running and their folder (gigabytes after a large run) in the temp folder for ever. Each start stops
    /// and removes those: the owner's pid is gone, or, for a folder without an owner file, it is over an hour old and
    /// no postmaster runs in it.
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
                    : Directory.GetLastWriteTimeUtc(folder) < DateTime.UtcNow.AddHours(-1) && !HasPostmaster(folder);
                if (!abandoned)
                {
                    continue;
                }

                if (PostmasterOf(Path.Combine(folder, "data")) is { } postmaster)
                {
                    postmaster.Kill(entireProcessTree: true);
                    postmaster.WaitForExit(TimeSpan.FromSeconds(10));
                    postmaster.Dispose();
                }

                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Another run is sweeping it too, or it is not ours to remove.
            }
        }
    }

    private static bool HasPostmaster(string folder)
    {
        using var postmaster = PostmasterOf(Path.Combine(folder, "data"));
        return postmaster is not null;
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

    /// <summary>The running postmaster of a data directory (first line of postmaster.pid), if any.</summary>
    private static Process? PostmasterOf(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        try
        {
            if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
            {
                var process = Process.GetProcessById(pid);
                if (!process.HasExited && process.ProcessName.StartsWith("postgres", StringComparison.Ordinal))
                {
                    return process;
                }

                process.Dispose();
            }
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>Stops the server (fast, then immediate, then a kill of the postmaster) and deletes the folder.</summary>
    public ValueTask DisposeAsync()
    {
        if (_started)
        {
            _started = false;
            if (!TryRunTool("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30"])
                && !TryRunTool("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "15"]))
            {
                KillPostmaster();
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

    private void KillPostmaster()
    {
        // First line of postmaster.pid is the postmaster's pid; killing it by id ends only this cluster.
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    private void RunTool(string tool, IReadOnlyList<string> arguments) =>
        Run(Path.Combine(_bin, tool), arguments, _asServiceUser);

    private bool TryRunTool(string tool, IReadOnlyList<string> arguments)
    {
        try
        {
            RunTool(tool, arguments);
            return true;
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine(e.Message);
            return false;
        }
    }

    private static void Run(string fileName, IReadOnlyList<string> arguments, bool asServiceUser)
    {
        var start = new ProcessStartInfo
        {
            FileName = asServiceUser ? "runuser" : fileName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The service user cannot read root's cwd (e.g. /root/...); "/" is readable by everyone.
            WorkingDirectory = "/",
        };
        if (asServiceUser)
        {
            foreach (var a in new[] { "-u", ServiceUser, "--", fileName })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ToolTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} did not finish within {ToolTimeout.TotalSeconds:N0} s");
        }

        if (process.ExitCode != 0)
        {
            // pg_ctl start keeps the pipes open through the postmaster only if it is not given -l; we always give -l.
            var output = stdout.Wait(TimeSpan.FromSeconds(5)) ? stdout.Result : "";
            var error = stderr.Wait(TimeSpan.FromSeconds(5)) ? stderr.Result : "";
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} exited {process.ExitCode}: {output}{error}".Trim());
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
