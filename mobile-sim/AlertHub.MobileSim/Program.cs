using System.Security.Cryptography;
using AlertHub.MobileSim.DemoGeo;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;
using AlertHub.MobileSim.Scenarios;

namespace AlertHub.MobileSim;

// Not top-level statements: a global `Program` here would clash with the hub's `Program` in the
// integration tests, which reference both assemblies and see our internals.
internal static class MobileSimProgram
{
    public static async Task<int> Main(string[] args)
    {
        CommandLine cl;
        try
        {
            cl = CommandLine.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + CommandLine.Usage);
            return 2;
        }

        if (cl.Has("help") || cl.Has("h") || cl.Command is "help")
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        try
        {
            return cl.Command switch
            {
                CommandLine.RunCommand => await RunAsync(cl, cts.Token),
                "generate-demo-geo" => await GenerateDemoGeoAsync(cl, cts.Token),
                "population" => await PopulationAsync(cl, cts.Token),
                _ => throw new ArgumentException($"Unknown command '{cl.Command}'."),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or HubApiException or HttpRequestException
            or FileNotFoundException or InvalidDataException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("mobile-sim: " + ex.Message);
            return 2;
        }
    }

    private static async Task<int> RunAsync(CommandLine cl, CancellationToken cancellationToken)
    {
        var adminKey = cl.StartHub ? "sim-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) : cl.ResolveApiKey();
        var options = cl.ToSimulationOptions(adminKey);
        using var loggerFactory = LoggerFactory.Create(b => b
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .SetMinimumLevel(LogLevel.Information));
        var logger = loggerFactory.CreateLogger("mobile-sim");

        var receipts = new ReceiptLog();
        var providerChannels = (options.ChannelMix ?? []).Select(m => m.Channel)
            .Where(c => c is not (Population.SimChannels.SignalR or Population.SimChannels.Webhook)).ToList();
        var peers = await Peers.ProviderPeers.StartAsync(providerChannels, receipts, options.TimeProvider, anyPort: cl.StartHub);
        HubProcess? hub = null;
        try
        {
            var hubSettings = Peers.ProviderPeers.HubSettings(peers);
            if (cl.StartHub)
            {
                hub = await HubProcess.StartAsync(hubSettings, adminKey, TimeSpan.FromMinutes(3), cancellationToken);
                options = options with { Hub = hub.BaseAddress };
                Console.WriteLine($"hub started at {hub.BaseAddress} (pid {hub.ProcessId})");
            }
            else if (hubSettings.Count > 0)
            {
                Console.WriteLine("The hub must run with these settings for the provider peers:");
                foreach (var (key, value) in hubSettings)
                {
                    Console.WriteLine($"  --{key}={value}");
                }
            }

            var report = await new SimulationRunner(options with { Peers = peers, Receipts = receipts }, logger).RunAsync(cancellationToken);
            Console.WriteLine(ReportPrinter.ToTable(report));
            if (hub is not null)
            {
                var (cpu, peak) = hub.Usage();
                Console.WriteLine($"hub process: CPU {cpu.TotalSeconds:0.0} s, peak working set {peak / (1024.0 * 1024):0} MiB");
            }

            if (cl.Get("json") is { } jsonPath)
            {
                await File.WriteAllTextAsync(jsonPath, ReportPrinter.ToJson(report), cancellationToken);
            }

            return report.InvariantsHold ? 0 : 1;
        }
        finally
        {
            if (hub is not null)
            {
                await hub.DisposeAsync();
            }

            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    private static async Task<int> GenerateDemoGeoAsync(CommandLine cl, CancellationToken cancellationToken)
    {
        var output = cl.Get("out") ?? throw new ArgumentException("generate-demo-geo needs --out FILE.");
        var areas = DemoGeoGenerator.Build();
        var text = DemoGeoGenerator.ToGeoJson(areas);
        var dir = Path.GetDirectoryName(Path.GetFullPath(output));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        await File.WriteAllTextAsync(output, text, cancellationToken);
        foreach (var a in areas)
        {
            Console.WriteLine($"{a.Kind,-9} {a.Name}  {a.Geometry.GeometryType} {a.Geometry.NumPoints} vertices");
        }

        Console.WriteLine($"wrote {areas.Count} features, {text.Length} chars to {output}");
        return 0;
    }

    private static async Task<int> PopulationAsync(CommandLine cl, CancellationToken cancellationToken)
    {
        var geo = cl.Get("geo") ?? DemoAreaSet.FindDefaultFile();
        var areas = geo is null ? DemoAreaSet.FromGenerator() : DemoAreaSet.Load(geo);
        var population = PopulationGenerator.Generate(
            new PopulationOptions(cl.GetInt("residents", 10_000), cl.GetInt("seed", 42), cl.GetDouble("signalr-share", 0.5)), areas);

        using var buffer = new MemoryStream();
        // Port 0 stands in for the receiver's real port, which only exists during a run.
        ImportNdjson.Write(buffer, population, "http://127.0.0.1:0/hook/");
        var bytes = buffer.ToArray();
        if (cl.Get("out") is { } output)
        {
            await File.WriteAllBytesAsync(output, bytes, cancellationToken);
        }

        Console.WriteLine(PopulationSummary.Describe(population));
        Console.WriteLine($"ndjson sha256 {Convert.ToHexStringLower(SHA256.HashData(bytes))} ({bytes.Length} bytes)");
        return 0;
    }
}
