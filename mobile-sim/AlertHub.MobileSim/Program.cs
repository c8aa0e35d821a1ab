using System.Security.Cryptography;
using AlertHub.MobileSim.DemoGeo;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;
using AlertHub.MobileSim.Report.Progress;
using AlertHub.MobileSim.Scenarios;

namespace AlertHub.MobileSim;

// Not top-level statements: a global `Program` here would clash with the hub's `Program` in the
// integration tests, which reference both assemblies and see our internals.
internal static class MobileSimProgram
{
    /// <summary>The throwaway cluster's <c>max_connections</c> (tests/Shared/Servers/PostgresCluster.cs).</summary>
    private const int PostgresConnections = 200;

    /// <summary>Left for mobile-sim's own queries and the superuser reserve.</summary>
    private const int ReservedConnections = 20;

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
                "receive" => await Peers.WebhookPrinter.RunAsync(cl.GetInt("port", 9000), cl.Get("secret") ?? throw new ArgumentException("receive needs --secret."),
                    TimeSpan.FromSeconds(cl.GetInt("timeout", 600)), Console.Out, cts.Token),
                _ => throw new ArgumentException($"Unknown command '{cl.Command}'."),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or HubApiException or HttpRequestException
            or FileNotFoundException or InvalidDataException or OperationCanceledException or HubEngineException)
        {
            await Console.Error.WriteLineAsync("mobile-sim: " + ex.Message);
            return 2;
        }
    }

    private static async Task<int> RunAsync(CommandLine cl, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.Now;
        var adminKey = cl.StartHub ? "sim-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) : cl.ResolveApiKey();
        var options = cl.ToSimulationOptions(adminKey);
        var clusterNodes = cl.ClusterNodes();
        var engineName = clusterNodes > 1 ? HubEngine.Postgres : cl.Engine();
        var killNode = cl.KillNode(clusterNodes);
        var highAvailability = cl.HighAvailability(clusterNodes);
        var killServer = cl.KillServer();
        if (killNode is { Node: 1 })
        {
            throw new ArgumentException("--kill-node: node 1 is where mobile-sim imports, issues and reads the results; kill node 2 or later.");
        }

        var hubConfiguration = cl.HubConfiguration();
        var published = cl.Published();
        var resultsDirectory = cl.Get("results") ?? ResultsWriter.DefaultDirectory(startedAt, options.Seed);

        // Read the earlier report first: a wrong path should fail before minutes of load, not after.
        var compareFile = cl.Get("compare");
        var previous = compareFile is null ? null : await ReportJson.ReadAsync(compareFile, cancellationToken);

        var receipts = new ReceiptLog();
        await using var progress = new RunProgress(
            Console.Error, interactive: !Console.IsErrorRedirected, options.TimeProvider, options.Residents, cl.ExpectedSignalR(options), () => receipts.Count);
        if (!cl.Has("no-progress"))
        {
            options = options with { SignalRConnecting = progress.SignalRConnecting };
        }

        using var loggerFactory = LoggerFactory.Create(b =>
        {
            if (!cl.Has("no-progress"))
            {
                // Before the console: it takes the bar off the line before the console writes the log line.
                b.AddProvider(new ProgressLoggerProvider(progress));
            }

            b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            })
            .SetMinimumLevel(LogLevel.Information);
        });
        var logger = loggerFactory.CreateLogger("mobile-sim");

        var providerChannels = (options.ChannelMix ?? []).Select(m => m.Channel)
            .Where(c => c is not (Population.SimChannels.SignalR or Population.SimChannels.Webhook)).ToList();
        Peers.ProviderPeers.Rates["voice"] = cl.GetDouble("voice-cps", 50);
        Peers.ProviderPeers.Rates["sms"] = cl.GetDouble("sms-mps", 500);
        var peers = await Peers.ProviderPeers.StartAsync(providerChannels, receipts, options.TimeProvider, anyPort: cl.StartHub);
        HubProcess? hub = null;
        var nodes = new List<HubProcess>();
        HubEngine? engine = null;
        AlertHub.Tests.Shared.Servers.RedisServer? redis = null;
        AlertHub.Tests.Shared.Servers.RedisSentinelCluster? sentinels = null;
        try
        {
            var hubSettings = Peers.ProviderPeers.HubSettings(peers);
            if (cl.StartHub)
            {
                engine = highAvailability ? await HubEngine.StartFailoverAsync(cancellationToken) : await HubEngine.StartAsync(engineName, cancellationToken);
                Console.WriteLine($"store: {engine.Description}");
                var settings = new Dictionary<string, string?>(hubSettings);
                foreach (var (key, value) in engine.HubSettings)
                {
                    settings[key] = value;
                }

                if (highAvailability)
                {
                    // --ha: a primary, its replica and three Sentinels; the nodes find the primary through the Sentinels.
                    sentinels = await AlertHub.Tests.Shared.Servers.RedisSentinelCluster.StartAsync();
                    settings["Cluster:Redis"] = sentinels.Configuration;
                    Console.WriteLine($"redis: primary 127.0.0.1:{await sentinels.PrimaryAsync()}, replica, Sentinels on {string.Join(", ", sentinels.SentinelPorts)}");
                }

                if (clusterNodes > 1)
                {
                    // The nodes share SignalR (backplane), presence and sign-in counters through a throwaway redis-server.
                    if (sentinels is null)
                    {
                        redis = await AlertHub.Tests.Shared.Servers.RedisServer.StartAsync();
                        settings["Cluster:Redis"] = redis.Configuration;
                        Console.WriteLine($"redis: throwaway redis-server on 127.0.0.1:{redis.Port}");
                    }

                    // Every node signs Web Push with the one VAPID key the subscriptions were made with; a node generating its
                    // own (in its own data directory) would be refused by the push service.
                    using var vapid = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
                    settings["Channels:WebPush:VapidPrivateKey"] = System.Buffers.Text.Base64Url.EncodeToString(vapid.ExportParameters(includePrivateParameters: true).D);
                }

                if (clusterNodes > 1 && settings.GetValueOrDefault("ConnectionStrings:AlertHub") is { } shared)
                {
                    // Npgsql's default pool is 100 connections a node: three busy nodes would take more than the server's 200
                    // (docs/cluster.md, "Connections"), and a node then fails with "too many clients". Share them out.
                    settings["ConnectionStrings:AlertHub"] = new Npgsql.NpgsqlConnectionStringBuilder(shared)
                    {
                        MaxPoolSize = Math.Max(10, (PostgresConnections - ReservedConnections) / clusterNodes),
                    }.ConnectionString;
                }

                for (var i = 1; i <= clusterNodes; i++)
                {
                    if (clusterNodes > 1)
                    {
                        settings["Cluster:NodeName"] = $"node-{i}";
                    }

                    // Built once (by the first start), then run as built.
                    nodes.Add(await HubProcess.StartAsync(settings, adminKey, TimeSpan.FromMinutes(3), cancellationToken, i == 1 ? hubConfiguration : hubConfiguration ?? "Release",
                        published));
                }

                hub = nodes[0];
                var started = hub;
                options = options with
                {
                    Hub = hub.BaseAddress,
                    Nodes = [.. nodes.Select(n => n.BaseAddress)],
                    KillAndRestartHub = ct => started.KillAndRestartAsync(TimeSpan.FromMinutes(2), ct),
                };
                if (killNode is { } kill)
                {
                    options = options with
                    {
                        KillHubAt = [kill.Share],
                        KilledNode = $"node-{kill.Node}",
                        KillAndRestartHub = ct => KillNodeAsync(nodes, kill.Node, adminKey, ct),
                    };
                }

                if (killServer is { } server)
                {
                    var startedEngine = engine;
                    var startedSentinels = sentinels!;
                    options = options with
                    {
                        KillHubAt = [server.Share],
                        KilledServer = server.Server == "database" ? "database primary" : "Redis primary",
                        // Kill Redis inside the SignalR burst (which is over within a second or two), so that the report shows
                        // the SignalR deliveries stand still and resume.
                        KillOnChannel = server.Server == "redis" ? Population.SimChannels.SignalR : null,
                        KillAndRestartHub = server.Server == "database"
                            ? ct => startedEngine.KillPrimaryAsync(ct)
                            : ct => KillRedisPrimaryAsync(startedSentinels, ct),
                    };
                    if (server.Server == "redis" && cl.ExpectedSignalR(options) == 0)
                    {
                        throw new ArgumentException("--kill-redis-primary measures the SignalR deliveries across the failover: give a --mix with signalr.");
                    }
                }

                foreach (var (node, i) in nodes.Select((n, i) => (n, i)))
                {
                    Console.WriteLine(clusterNodes > 1 ? $"node-{i + 1} started at {node.BaseAddress} (pid {node.ProcessId})" : $"hub started at {node.BaseAddress} (pid {node.ProcessId})");
                }
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
            await progress.DisposeAsync();
            var usage = hub?.Usage();
            report = report with
            {
                Run = new RunInfo(
                    cl.MixDescription(),
                    startedAt,
                    usage?.Cpu.TotalSeconds,
                    usage is { } u ? Math.Round(u.PeakWorkingSet / (1024.0 * 1024), 1) : null,
                    options.ViaFeed ? "JMA feed (訓練 VXWW50 telegram + rule)" : null,
                    engine?.Description,
                    engine is null ? null : await engine.ActivityAsync(cancellationToken),
                    clusterNodes > 1 ? await NodeUsagesAsync(nodes, killNode?.Node, adminKey, cancellationToken) : null)
                {
                    HubBuild = !cl.StartHub ? null : published ? "published, ReadyToRun" : "built",
                },
            };
            if (previous is not null)
            {
                report = report with { Comparison = ReportComparer.Compare(previous, report, Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(compareFile!))) + "/" + Path.GetFileName(compareFile!)) };
            }

            Console.WriteLine(ReportPrinter.ToTable(report));
            foreach (var twilio in peers.OfType<Peers.Twilio.FakeTwilio>())
            {
                Console.WriteLine(twilio.Channel == "voice"
                    ? FormattableString.Invariant($"voice: {twilio.Calls.Count:N0} calls started at {twilio.CallRate():0.0}/s, at most {twilio.MaxCallsInAnySecond()} in any second (CPS {twilio.Options.CallsPerSecond:0.##}), {twilio.QueuedBeyondCps} beyond the CPS, REST errors {twilio.Errors.Count}")
                    : FormattableString.Invariant($"sms: {twilio.Messages.Count:N0} messages, {twilio.Messages.Sum(m => m.Segments):N0} segments, REST errors {twilio.Errors.Count}"));
            }

            if (report.Run?.Nodes is { } perNode)
            {
                // A 2-core machine shows how the work spreads, not a speed-up: every node shares the same cores.
                Console.WriteLine("nodes:");
                foreach (var n in perNode)
                {
                    Console.WriteLine($"  {n.Name}: CPU {n.CpuSeconds:0.0} s, peak working set {n.PeakMemoryMiB:0} MiB, delivered {(n.Delivered is { } d ? d.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "?")}, took over {n.TookOverItems} outbox items{(n.Killed ? " (killed; delivered as of its last heartbeat)" : "")}{(n.Retries is { } r && (r.StoreRetries + r.OutcomesAfterWaiting + r.RedisFailovers) > 0 ? $"; failover: {r.StoreRetries} delivery rounds met the store unavailable and retried, {r.OutcomesAfterWaiting} outcomes written after waiting for it, {r.RedisFailovers} Redis primary changes seen" : "")}");
                }
            }
            else if (usage is { } used)
            {
                Console.WriteLine($"hub process: CPU {used.Cpu.TotalSeconds:0.0} s, peak working set {used.PeakWorkingSet / (1024.0 * 1024):0} MiB");
            }

            if (report.Comparison is { } comparison)
            {
                Console.WriteLine(ReportComparer.ToText(comparison));
            }

            if (cl.Get("json") is { } jsonPath)
            {
                await File.WriteAllTextAsync(jsonPath, ReportPrinter.ToJson(report), cancellationToken);
            }

            var written = await ResultsWriter.WriteAsync(resultsDirectory, report, cancellationToken);
            Console.WriteLine($"results: {Path.GetFullPath(written.Directory)} ({string.Join(", ", written.Files)})");
            if (written.PngError is not null)
            {
                Console.WriteLine($"  PNG export unavailable ({written.PngError}); charts written as SVG files instead.");
            }
            else if (!written.PngHasText)
            {
                Console.WriteLine("  no font file found for the PNG labels: PNGs are drawn without text.");
            }

            foreach (var (node, i) in nodes.Select((n, i) => (n, i)))
            {
                // The hub logs at Warning and above here: its last lines say why something went wrong.
                await File.WriteAllTextAsync(Path.Combine(written.Directory, nodes.Count > 1 ? $"hub-node-{i + 1}.log" : "hub.log"), node.Output.ToString(), cancellationToken);
            }

            if (hub is not null && !report.InvariantsHold)
            {
                // The hub's own warnings usually say why (it logs at Warning and above here).
                Console.WriteLine("hub log (last lines):\n" + hub.Output);
            }

            // Regressions are reported, not fatal: timings on a shared machine are too noisy to fail a run on.
            return report.InvariantsHold ? 0 : 1;
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }

            if (redis is not null)
            {
                await redis.DisposeAsync();
            }

            if (sentinels is not null)
            {
                await sentinels.DisposeAsync();
            }

            // After the hub: its sessions end with it, so the cluster stops without cutting off a live hub.
            if (engine is not null)
            {
                await engine.DisposeAsync();
            }
        }
    }

    private static NodeUsage NodeUsageOf(HubProcess node, string name, bool killed)
    {
        var (cpu, peak) = node.Usage();
        return new NodeUsage(name, Math.Round(cpu.TotalSeconds, 1), Math.Round(peak / (1024.0 * 1024), 1), node.TookOver, killed, Retries: node.Retries);
    }

    /// <summary>Each node's CPU and memory (from its process) and deliveries (from a live node's <c>GET /api/cluster</c>).</summary>
    private static async Task<IReadOnlyList<NodeUsage>> NodeUsagesAsync(IReadOnlyList<HubProcess> nodes, int? killed, string adminKey, CancellationToken cancellationToken)
    {
        var delivered = new Dictionary<string, long>(StringComparer.Ordinal);
        var live = nodes.Where((_, i) => killed != i + 1).FirstOrDefault();
        if (live is not null)
        {
            using var http = new HttpClient { BaseAddress = live.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Add("X-Api-Key", adminKey);
            try
            {
                // Wait out one heartbeat, so the last deliveries are counted.
                await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
                var cluster = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(http, "/api/cluster", cancellationToken);
                foreach (var n in cluster?["nodes"]?.AsArray() ?? [])
                {
                    // A restarted node is a new row under the same name: count them together.
                    var name = n!["name"]!.GetValue<string>();
                    delivered[name] = delivered.GetValueOrDefault(name) + (n["delivered"]?.GetValue<long>() ?? 0);
                }
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"mobile-sim: could not read deliveries per node: {e.Message}");
            }
        }

        return [.. nodes.Select((n, i) => NodeUsageOf(n, $"node-{i + 1}", killed == i + 1) with
        {
            Delivered = delivered.TryGetValue($"node-{i + 1}", out var d) ? d : null,
        })];
    }

    /// <summary>
    /// --kill-node: SIGKILLs node <paramref name="number"/> for good, then asks another node's <c>GET /api/cluster</c> until the
    /// dead node is declared dead with nothing left in flight. Returns how long after the kill that was.
    /// </summary>
    private static async Task<TimeSpan> KillNodeAsync(IReadOnlyList<HubProcess> nodes, int number, string adminKey, CancellationToken cancellationToken)
    {
        var killed = System.Diagnostics.Stopwatch.StartNew();
        await nodes[number - 1].KillAsync(cancellationToken);
        using var http = new HttpClient { BaseAddress = nodes[number % nodes.Count].BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Add("X-Api-Key", adminKey);
        var name = $"node-{number}";
        while (killed.Elapsed < TimeSpan.FromMinutes(1))
        {
            try
            {
                var cluster = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(http, "/api/cluster", cancellationToken);
                if (cluster?["nodes"]?.AsArray().Any(n => n?["name"]?.GetValue<string>() == name && n["state"]?.GetValue<string>() == "dead"
                    && n["inFlight"]?.GetValue<int>() == 0) == true)
                {
                    return killed.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        return killed.Elapsed;
    }

    /// <summary>
    /// --kill-redis-primary: SIGKILLs the Redis primary, then waits until the Sentinels have promoted the replica. Returns how
    /// long after the kill that was.
    /// </summary>
    private static async Task<TimeSpan> KillRedisPrimaryAsync(AlertHub.Tests.Shared.Servers.RedisSentinelCluster sentinels, CancellationToken cancellationToken)
    {
        var killed = System.Diagnostics.Stopwatch.StartNew();
        var old = await sentinels.KillPrimaryAsync();
        var primary = await sentinels.WaitForNewPrimaryAsync(old, TimeSpan.FromMinutes(1));
        var took = killed.Elapsed;
        Console.WriteLine(FormattableString.Invariant($"redis: primary :{old} SIGKILLed; the Sentinels made :{primary} primary {took.TotalSeconds:0.0} s later"));
        return took;
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
