using System.Diagnostics;
using System.Net.Sockets;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// Starts the hub as a child process on 127.0.0.1 with a fresh data directory and the settings that point its
/// channels at the sim's provider peers, waits for /health, and kills the whole process tree when disposed.
/// </summary>
internal sealed class HubProcess : IAsyncDisposable
{
    private readonly ProcessStartInfo _info;
    private readonly string _dataDirectory;
    private Process _process = null!;
    private TimeSpan _cpuOfKilled;
    private long _peakOfKilled;

    private HubProcess(ProcessStartInfo info, Uri baseAddress, string dataDirectory)
    {
        _info = info;
        BaseAddress = baseAddress;
        _dataDirectory = dataDirectory;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    /// <summary>The hub's own output, for the report when something goes wrong.</summary>
    public ConcurrentQueueLog Output { get; } = new();

    /// <param name="builtConfiguration">Run the hub as already built in this configuration (tests: the build that
    /// <c>dotnet test</c> just made); null builds Release first.</param>
    /// <param name="published">Run the hub as published for this platform, precompiled (ReadyToRun) as the Dockerfile
    /// publishes it, instead of as built; with <paramref name="builtConfiguration"/> null, publish Release first.</param>
    public static async Task<HubProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string adminKey, TimeSpan timeout, CancellationToken cancellationToken,
        string? builtConfiguration = null, bool published = false)
    {
        var project = FindHubProject() ?? throw new FileNotFoundException("src/AlertHub.Server/AlertHub.Server.csproj not found above " + AppContext.BaseDirectory);
        var runtime = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        if (builtConfiguration is null)
        {
            // Build first (incremental, seconds when nothing changed): a stale hub would silently lack channels. A publish
            // for a platform is precompiled (the project sets PublishReadyToRun for it) and takes half a minute or more.
            string[] command = published
                ? ["publish", "-c", "Release", "-r", runtime, "--self-contained", "false", "--nologo", "-v", "q", project]
                : ["build", "-c", "Release", "--nologo", "-v", "q", project];
            using var build = Process.Start(new ProcessStartInfo("dotnet", command)
                { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var buildOutput = build.StandardOutput.ReadToEndAsync(cancellationToken);
            await build.WaitForExitAsync(cancellationToken);
            if (build.ExitCode != 0)
            {
                throw new InvalidOperationException($"{(published ? "Publishing" : "Building")} the hub failed:\n" + await buildOutput);
            }
        }

        var output = Path.Combine(Path.GetDirectoryName(project)!, "bin", builtConfiguration ?? "Release", "net10.0");
        var dll = Path.Combine(published ? Path.Combine(output, runtime, "publish") : output, "AlertHub.Server.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"The hub is not {(published ? "published" : "built")} in {builtConfiguration}: {dll}");
        }

        var port = FreePort();
        var dataDirectory = Path.Combine(Path.GetTempPath(), "alerthub-sim", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        var all = new Dictionary<string, string?>(settings)
        {
            ["Urls"] = $"http://127.0.0.1:{port}",
            // Links and provider callbacks (Twilio's status and TwiML requests) must reach this hub, not localhost:5080.
            ["Hub:PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Storage:DataDirectory"] = dataDirectory,
            ["Auth:BootstrapAdminKey"] = adminKey,
            ["Residents:RegistrationsPerMinutePerClient"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in all)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        // Development: the peers live on loopback, which the outbound URL policy allows only there.
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        var hub = new HubProcess(info, new Uri($"http://127.0.0.1:{port}/"), dataDirectory);
        try
        {
            await hub.LaunchAsync(timeout, cancellationToken);
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }

        return hub;
    }

    /// <summary>
    /// SIGKILLs the hub (no graceful stop: what a power cut or an OOM kill does) and starts it again on the same data
    /// directory and port. Returns how long it took until /health answered again.
    /// </summary>
    public async Task<TimeSpan> KillAndRestartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        _process.Refresh();
        _cpuOfKilled += _process.TotalProcessorTime;
        _peakOfKilled = Math.Max(_peakOfKilled, _process.PeakWorkingSet64);
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(cancellationToken);
        _process.Dispose();
        Output.Add($"--- mobile-sim: hub killed (SIGKILL) and started again on the same data directory ---");
        await LaunchAsync(timeout, cancellationToken);
        return started.Elapsed;
    }

    private async Task LaunchAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var process = Process.Start(_info) ?? throw new InvalidOperationException("could not start the hub");
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            Output.Add(e.Data);
            CountTakeOver(e.Data);
            CountFailoverRetries(e.Data);
        };
        process.ErrorDataReceived += (_, e) => Output.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The hub exited with code {process.ExitCode}:\n{Output}");
            }

            try
            {
                if ((await http.GetAsync(new Uri(BaseAddress, "health"), cancellationToken)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"The hub did not become healthy within {timeout}:\n{Output}");
    }

    /// <summary>Outbox items this hub took over from cluster nodes that died (from its "Took over N outbox items" warnings).</summary>
    public int TookOver => Volatile.Read(ref _tookOver);

    private int _tookOver;

    private void CountTakeOver(string? line)
    {
        const string Marker = "Took over ";
        var at = line?.IndexOf(Marker, StringComparison.Ordinal) ?? -1;
        if (at >= 0 && line![(at + Marker.Length)..].Split(' ', 2)[0] is var count
            && int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            Interlocked.Add(ref _tookOver, n);
        }
    }

    /// <summary>
    /// What this hub retried because the database or Redis was failing over, from its warnings: delivery loops that met the
    /// store unavailable and went round again, outcomes written once the store took writes again, and Redis failovers seen.
    /// </summary>
    public FailoverRetries Retries => new(Volatile.Read(ref _storeRetries), Volatile.Read(ref _outcomesAfterWaiting), Volatile.Read(ref _redisFailovers));

    private int _storeRetries;
    private int _outcomesAfterWaiting;
    private int _redisFailovers;

    private void CountFailoverRetries(string? line)
    {
        var (store, outcomes, redis) = FailoverRetries.Of(line);
        Interlocked.Add(ref _storeRetries, store);
        Interlocked.Add(ref _outcomesAfterWaiting, outcomes);
        Interlocked.Add(ref _redisFailovers, redis);
    }

    /// <summary>SIGKILLs the hub and leaves it dead (a node lost for good: the others must carry on).</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        _process.Refresh();
        _cpuOfKilled += _process.TotalProcessorTime;
        _peakOfKilled = Math.Max(_peakOfKilled, _process.PeakWorkingSet64);
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(cancellationToken);
        Output.Add("--- mobile-sim: hub killed (SIGKILL) ---");
    }

    /// <summary>CPU time and peak working set of the hub so far.</summary>
    public (TimeSpan Cpu, long PeakWorkingSet) Usage()
    {
        _process.Refresh();
        if (_process.HasExited)
        {
            // Killed for good (--kill-node): KillAsync kept what it had used.
            return (_cpuOfKilled, _peakOfKilled);
        }

        return (_cpuOfKilled + _process.TotalProcessorTime, Math.Max(_peakOfKilled, _process.PeakWorkingSet64));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null && !_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string? FindHubProject()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "AlertHub.Server", "AlertHub.Server.csproj");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The last lines a child process wrote (bounded).</summary>
internal sealed class ConcurrentQueueLog
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        while (_lines.Count > 200 && _lines.TryDequeue(out _))
        {
        }
    }

    public override string ToString() => string.Join('\n', _lines);
}

/// <summary>What one hub retried while a server failed over (see <see cref="HubProcess.Retries"/>).</summary>
/// <param name="StoreRetries">Delivery loop rounds that met the store unavailable and went round again.</param>
/// <param name="OutcomesAfterWaiting">Delivery outcomes kept and written once the store took writes again.</param>
/// <param name="RedisFailovers">Times the node saw the cluster's Redis primary change.</param>
internal sealed record FailoverRetries(int StoreRetries, int OutcomesAfterWaiting, int RedisFailovers)
{
    /// <summary>What one line of the hub's log adds to each count (the hub's own warning texts).</summary>
    public static (int StoreRetries, int OutcomesAfterWaiting, int RedisFailovers) Of(string? line)
    {
        if (line is null)
        {
            return (0, 0, 0);
        }

        if (line.Contains("the store is unavailable (", StringComparison.Ordinal) && line.TrimEnd().EndsWith("; retrying", StringComparison.Ordinal))
        {
            return (1, 0, 0);
        }

        if (line.IndexOf(" outcomes recorded after waiting ", StringComparison.Ordinal) is var at and > 0
            && line[..at].Split(' ')[^1] is var count
            && int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            return (0, n, 0);
        }

        return line.Contains("Cluster Redis failed over: the primary is now ", StringComparison.Ordinal) ? (0, 0, 1) : (0, 0, 0);
    }
}
