using System.Diagnostics;
using System.Net.Sockets;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// Starts the hub as a child process on 127.0.0.1 with a fresh data directory and the settings that point its
/// channels at the sim's provider peers, waits for /health, and kills the whole process tree when disposed.
/// </summary>
internal sealed class HubProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDirectory;

    private HubProcess(Process process, Uri baseAddress, string dataDirectory)
    {
        _process = process;
        BaseAddress = baseAddress;
        _dataDirectory = dataDirectory;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    /// <summary>The hub's own output, for the report when something goes wrong.</summary>
    public ConcurrentQueueLog Output { get; } = new();

    public static async Task<HubProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string adminKey, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var project = FindHubProject() ?? throw new FileNotFoundException("src/AlertHub.Server/AlertHub.Server.csproj not found above " + AppContext.BaseDirectory);
        // Always build first (incremental, seconds when nothing changed): a stale hub would silently lack channels.
        using (var build = Process.Start(new ProcessStartInfo("dotnet", ["build", "-c", "Release", "--nologo", "-v", "q", project])
               { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!)
        {
            var buildOutput = build.StandardOutput.ReadToEndAsync(cancellationToken);
            await build.WaitForExitAsync(cancellationToken);
            if (build.ExitCode != 0)
            {
                throw new InvalidOperationException("Building the hub failed:\n" + await buildOutput);
            }
        }

        var dll = Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", "net10.0", "AlertHub.Server.dll");
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
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the hub");
        var hub = new HubProcess(process, new Uri($"http://127.0.0.1:{port}/"), dataDirectory);
        process.OutputDataReceived += (_, e) => hub.Output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => hub.Output.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The hub exited with code {process.ExitCode}:\n{hub.Output}");
            }

            try
            {
                if ((await http.GetAsync(new Uri(hub.BaseAddress, "health"), cancellationToken)).IsSuccessStatusCode)
                {
                    return hub;
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

        await hub.DisposeAsync();
        throw new TimeoutException($"The hub did not become healthy within {timeout}:\n{hub.Output}");
    }

    /// <summary>CPU time and peak working set of the hub so far.</summary>
    public (TimeSpan Cpu, long PeakWorkingSet) Usage()
    {
        _process.Refresh();
        return (_process.TotalProcessorTime, _process.PeakWorkingSet64);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
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
