using System.Globalization;
using AlertHub.MobileSim.Scenarios;

namespace AlertHub.MobileSim;

/// <summary>A parsed command line: the command name and its --options.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options;

    private CommandLine(string command, Dictionary<string, string?> options)
    {
        Command = command;
        _options = options;
    }

    public const string RunCommand = "run";

    public string Command { get; }

    /// <summary>Flags that take no value.</summary>
    private static readonly HashSet<string> Switches = new(StringComparer.Ordinal) { "help", "h", "start-hub", "via-feed", "no-progress", "ha", "published" };

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var command = RunCommand;
        var i = 0;
        if (args.Count > 0 && !args[0].StartsWith('-'))
        {
            command = args[0];
            i = 1;
        }

        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }

            var name = arg.TrimStart('-');
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (!Switches.Contains(name))
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"Option --{name} needs a value.");
                }

                value = args[++i];
            }

            options[name] = value;
        }

        return new CommandLine(command, options);
    }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Get(string name) => _options.GetValueOrDefault(name);

    public int GetInt(string name, int fallback) =>
        _options.TryGetValue(name, out var v) && v is not null
            ? int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : fallback;

    public double GetDouble(string name, double fallback) =>
        _options.TryGetValue(name, out var v) && v is not null
            ? double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)
            : fallback;

    /// <summary>Whether the run starts the hub itself (Release build, fresh data directory, peers wired in).</summary>
    public bool StartHub => Has("start-hub");

    /// <summary>
    /// --engine: the store engine of the hub the run starts (sqlite, the default, or postgres in a throwaway cluster). Against a
    /// running hub (no --start-hub) that hub's own configuration decides, so the flag would only mislabel the report.
    /// </summary>
    public string Engine()
    {
        var engine = HubEngine.Parse(Get("engine"));
        if (Has("engine") && !StartHub)
        {
            throw new ArgumentException("--engine needs --start-hub: a hub mobile-sim does not start runs on the engine it was configured with.");
        }

        return engine;
    }

    /// <summary>
    /// --cluster N: with --start-hub, N hub nodes (2–9) sharing one throwaway PostgreSQL store; 1 (the default) is one hub.
    /// </summary>
    public int ClusterNodes()
    {
        if (!Has("cluster"))
        {
            return 1;
        }

        var n = GetInt("cluster", 1);
        if (!StartHub || n is < 2 or > 9)
        {
            throw new ArgumentException("--cluster N needs --start-hub and takes 2 to 9 nodes.");
        }

        if (Has("engine") && HubEngine.Parse(Get("engine")) != "postgres")
        {
            throw new ArgumentException("--cluster runs its nodes on one PostgreSQL store: leave --engine out or give postgres.");
        }

        if (Has("kill-hub-at"))
        {
            throw new ArgumentException("--kill-hub-at restarts the one hub; with --cluster use --kill-node K@P.");
        }

        return n;
    }

    /// <summary>--kill-node K@P: with --cluster, SIGKILL node K (1-based) once P % of the expected receipts are in, for good.</summary>
    public (int Node, double Share)? KillNode(int nodes)
    {
        if (Get("kill-node") is not { } text)
        {
            return null;
        }

        var parts = text.Split('@');
        if (nodes < 2 || parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var node) || node < 1 || node > nodes
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || percent is <= 0 or >= 100)
        {
            throw new ArgumentException($"--kill-node takes K@P with --cluster N: a node 1..N and a percentage between 0 and 100, e.g. 2@30; got '{text}'.");
        }

        return (node, percent / 100);
    }

    /// <summary>
    /// --ha: with --cluster, the nodes' PostgreSQL is pg_auto_failover (a monitor, a primary and a synchronous standby) and
    /// their Redis a primary with a replica and three Sentinels, all throwaway processes on loopback.
    /// </summary>
    public bool HighAvailability(int nodes)
    {
        if (!Has("ha"))
        {
            if (Has("kill-db-primary") || Has("kill-redis-primary"))
            {
                throw new ArgumentException("--kill-db-primary and --kill-redis-primary need --cluster N --ha (there is no standby to fail over to otherwise).");
            }

            return false;
        }

        if (nodes < 2)
        {
            throw new ArgumentException("--ha needs --cluster N (2 to 9 hub nodes).");
        }

        return true;
    }

    /// <summary>--kill-db-primary P or --kill-redis-primary P: which server to SIGKILL, and at which share of the expected receipts.</summary>
    public (string Server, double Share)? KillServer()
    {
        var given = new[] { "kill-db-primary", "kill-redis-primary", "kill-node" }.Where(Has).ToList();
        if (given.Count > 1)
        {
            throw new ArgumentException($"Give one kill per run, not {string.Join(" and ", given.Select(g => "--" + g))}.");
        }

        foreach (var (option, server) in new[] { ("kill-db-primary", "database"), ("kill-redis-primary", "redis") })
        {
            if (Get(option) is not { } text)
            {
                continue;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || percent is <= 0 or >= 100)
            {
                throw new ArgumentException($"--{option} takes a percentage between 0 and 100, e.g. 30; got '{text}'.");
            }

            return (server, percent / 100);
        }

        return null;
    }

    /// <summary>--published: with --start-hub, run the hub as the Dockerfile deploys it, published and precompiled (ReadyToRun).</summary>
    public bool Published()
    {
        if (Has("published") && !StartHub)
        {
            throw new ArgumentException("--published needs --start-hub: it says how mobile-sim builds the hub it starts.");
        }

        return Has("published");
    }

    /// <summary>--hub-configuration: run the hub as already built in this configuration (no build first); null builds Release.</summary>
    public string? HubConfiguration() => Get("hub-configuration") switch
    {
        null => null,
        "Debug" or "Release" => Get("hub-configuration"),
        var other => throw new ArgumentException($"--hub-configuration takes Debug or Release, got '{other}'."),
    };

    /// <summary>The options of the default run command; the API key is resolved separately.</summary>
    public SimulationOptions ToSimulationOptions(string apiKey)
    {
        var share = GetDouble("signalr-share", 0.5);
        if (share is < 0 or > 1)
        {
            throw new ArgumentException("--signalr-share must be between 0 and 1.");
        }

        var scenario = ScenarioKinds.Parse(Get("scenario"));
        var population = Population.PopulationKinds.Parse(Get("population"));
        var residents = GetInt("residents", Population.PopulationKinds.DefaultSize(population));
        if (residents < 0)
        {
            throw new ArgumentException("--residents must not be negative.");
        }

        if (Has("area") && Has("circle"))
        {
            throw new ArgumentException("Give either --area or --circle, not both.");
        }

        return new SimulationOptions
        {
            Hub = new Uri(Get("hub") ?? "http://127.0.0.1:5080", UriKind.Absolute),
            ApiKey = apiKey,
            Residents = residents,
            Seed = GetInt("seed", 42),
            SignalRShare = share,
            AreaNameOrId = Get("area"),
            Circle = Get("circle") is { } c ? ParseCircle(c) : null,
            Audience = (Get("audience") ?? ScenarioKinds.DefaultAudience(scenario)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            GeoFile = Get("geo"),
            ConnectParallelism = GetInt("connect-parallelism", 64),
            ChannelMix = (Get("mix") ?? ScenarioKinds.DefaultMix(scenario)) is { } mix ? Population.PopulationGenerator.ParseMix(mix) : null,
            ViaFeed = Has("via-feed"),
            Scenario = scenario,
            Population = population,
            TownsFile = Get("towns"),
            MunicipalitiesFile = Get("municipalities"),
            OutageDuration = TimeSpan.FromSeconds(GetDouble("outage-seconds", 30)),
            KillHubAt = ParseKillShares(Get("kill-hub-at")),
            Repeat = ParseRepeat(scenario),
            WebhookDelay = TimeSpan.FromMilliseconds(GetDouble("webhook-delay-ms", 0)),
            RetractAt = Get("retract-at") is null ? null : GetDouble("retract-at", 0) is var p and > 0 and < 100
                ? p / 100
                : throw new ArgumentException("--retract-at takes a percentage between 0 and 100."),
            Timeout = TimeSpan.FromSeconds(GetDouble("timeout", scenario is ScenarioKind.Storm or ScenarioKind.Outage ? 180 : 60)),
        };
    }

    /// <summary>--repeat N: 1 to 50 issues of the one alert (flood or landslide, the scenarios that issue it through the API), with no kills or outage.</summary>
    private int ParseRepeat(ScenarioKind scenario)
    {
        var n = GetInt("repeat", 1);
        if (n is < 1 or > 50)
        {
            throw new ArgumentException($"--repeat takes 1 to 50 issues, got {n}.");
        }

        if (n > 1 && (scenario is not (ScenarioKind.Flood or ScenarioKind.Landslide) || Has("via-feed") || Has("kill-hub-at") || Has("kill-node")
            || Has("kill-db-primary") || Has("kill-redis-primary")))
        {
            throw new ArgumentException("--repeat re-issues the flood or landslide alert through the API; it does not combine with --via-feed, kills or other scenarios.");
        }

        return n;
    }

    /// <summary>--kill-hub-at 30,60: percentages of the expected receipts, each in (0, 100).</summary>
    private IReadOnlyList<double> ParseKillShares(string? text)
    {
        if (text is null)
        {
            return [];
        }

        if (!StartHub)
        {
            throw new ArgumentException("--kill-hub-at needs --start-hub (mobile-sim kills the hub it started).");
        }

        var shares = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || percent is <= 0 or >= 100)
            {
                throw new ArgumentException($"--kill-hub-at takes percentages between 0 and 100, e.g. 30,60; got '{part}'.");
            }

            shares.Add(percent / 100);
        }

        return shares;
    }

    /// <summary>The mix as given, or the SignalR/webhook split it stands for.</summary>
    public string MixDescription() =>
        Get("mix") ?? FormattableString.Invariant($"signalr={GetDouble("signalr-share", 0.5):0.###},webhook={1 - GetDouble("signalr-share", 0.5):0.###}");

    /// <summary>About how many residents the mix puts on SignalR (a progress bar's total, not a measurement).</summary>
    public int ExpectedSignalR(SimulationOptions options)
    {
        var share = options.ChannelMix is { Count: > 0 } mix
            ? mix.Where(m => m.Channel == Population.SimChannels.SignalR).Sum(m => m.Share) / Math.Max(1e-9, mix.Sum(m => m.Share))
            : options.SignalRShare;
        return (int)Math.Round(share * options.Residents);
    }

    /// <summary>"lat,lon,radiusMeters".</summary>
    public static CircleArea ParseCircle(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon)
            || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var radius)
            || lat is < -90 or > 90 || lon is < -180 or > 180 || radius <= 0)
        {
            throw new ArgumentException($"--circle wants lat,lon,radiusMeters (e.g. 39.31372,140.56661,1000), got '{text}'.");
        }

        return new CircleArea(lat, lon, radius);
    }

    /// <summary>--api-key, else --key-file, else $ALERTHUB_API_KEY, else data/bootstrap-admin.key in the working directory.</summary>
    public string ResolveApiKey()
    {
        if (Get("api-key") is { Length: > 0 } key)
        {
            return key;
        }

        var file = Get("key-file");
        if (file is null && Environment.GetEnvironmentVariable("ALERTHUB_API_KEY") is { Length: > 0 } env)
        {
            return env;
        }

        file ??= Path.Combine("data", "bootstrap-admin.key");
        if (!File.Exists(file))
        {
            throw new ArgumentException($"No API key: pass --api-key KEY or --key-file PATH ({Path.GetFullPath(file)} does not exist).");
        }

        return File.ReadAllText(file).Trim();
    }

    public const string Usage = """
        mobile-sim — simulated Yokote residents on loopback for AlertHub

        run (default):
          --hub URL               hub base address (default http://127.0.0.1:5080)
          --api-key KEY | --key-file PATH   admin key (default data/bootstrap-admin.key, or $ALERTHUB_API_KEY)
          --residents N           population size (default: yokote 85555, akita 900000, synthetic 1000000)
          --population P          yokote (default) | akita | synthetic
          --towns FILE            yokote: scatter homes around 町字 points (e.g. ../shared/geo/subareas/yokote_town_points.geojson)
          --municipalities FILE   akita: municipality index CSV (e.g. ../shared/geo/akita_municipality_index.csv)
          --scenario S            flood (default; elderly) | quake | landslide | update-cancel | storm | outage
          --outage-seconds N      outage: how long FCM answers 503 + Retry-After (default 30)
          --webhook-delay-ms N    the residents' webhook endpoints answer N ms after each message (a slow channel)
          --retract-at P          update-cancel: send the update and the cancel once P % of the first version arrived,
                                  without waiting; the report checks that everyone who got it got the cancel after it
          --kill-hub-at P[,P…]    with --start-hub: SIGKILL the hub once P % of the expected receipts are in and start it
                                  again on the same data directory; the report counts re-sends per kill (use a mix
                                  without signalr: live connections die with the hub)
          --seed N                population seed (default 42)
          --signalr-share X       share on SignalR, rest on webhook (default 0.5)
          --mix a=x,b=y           channel mix instead, e.g. signalr=0.1,webhook=0.05,line=0.35,fcm=0.3,webpush=0.1,email=0.1;
                                  the provider peers for fcm/line/webpush/email/voice/sms start on loopback
          --voice-cps N / --sms-mps N   calls / messages per second of the fake Twilio accounts, which the hub keeps to (50 / 500)
          --via-feed              issue through the feed path: a 訓練 土砂災害警戒情報 telegram for 横手市 and a rule
                                  (latency from the telegram's arrival at the hub)
          --start-hub             build and start the hub (src/AlertHub.Server, Release) with a fresh data directory, wired to the peers
          --cluster N             with --start-hub: N hub nodes (2–9) on one throwaway PostgreSQL store; residents are
                                  imported and the alert issued on node 1, SignalR clients spread over every node (a client
                                  whose node dies reconnects to the next); the report adds CPU and take-overs per node
          --repeat N              flood/landslide: issue the alert N times in a row (on every node in turn with --cluster), each after the last
                                  fan-out ended; reports each issue's first receipt and their p50/p95
          --kill-node K@P         with --cluster: SIGKILL node K once P % of the expected receipts are in (it stays dead);
                                  the report says when its backlog was taken over and what was re-sent
          --ha                    with --cluster: PostgreSQL with pg_auto_failover (monitor, primary, synchronous standby) and
                                  Redis with a replica and three Sentinels, on loopback (postgresql-15-auto-failover, redis-sentinel)
          --kill-db-primary P     with --ha: SIGKILL the PostgreSQL primary once P % of the expected receipts are in; the report
                                  says when the standby took writes, the longest pause in receipts after the kill, and the re-sends
          --kill-redis-primary P  with --ha: the same for the Redis primary (the Sentinels promote the replica); the report adds
                                  when SignalR receipts resumed
          --engine E              with --start-hub: the hub's store, sqlite (default) or postgres: a throwaway PostgreSQL cluster
                                  (postgresql-15 installed) with one database, kept across --kill-hub-at restarts and removed
                                  at the end; the report's header names the engine and its version
          --hub-configuration C   with --start-hub: run the hub as already built in Debug or Release instead of building Release
          --published             with --start-hub: publish the hub for this platform, precompiled (ReadyToRun) as the
                                  Dockerfile does, and run that (the first alert after a start runs less JIT)
          --area NAME|ID          target area from GET /api/areas (default 横手（デモ）)
          --circle LAT,LON,R      circle target in metres instead of --area
          --audience a,b          household tags, any of (default everyone; flood: elderly)
          --timeout SECONDS       wait for deliveries at most this long (default 60; storm/outage 180)
          --geo FILE              demo geo file (default geo/demo-areas.geojson, searched upward)
          --json FILE             also write the report as JSON (report.json in the results folder has it too)
          --results DIR           results folder: report.json, report.html, latency-cdf / deliveries-per-second /
                                  recipients-map .png (default results/<yyyyMMdd-HHmmss>-seed<S>)
          --compare FILE          an earlier report.json: print regressions (p95 +10 %, received down, duplicates or
                                  outside > 0) and add them to report.html; the exit code still follows the invariants
          --no-progress           no progress bars on stderr (they redraw in place on a terminal, else a line every 5 s)
          --connect-parallelism N SignalR connections opened at once (default 64)
          exit code: 0 invariants hold, 1 broken, 2 could not run

        generate-demo-geo --out geo/demo-areas.geojson
        population [--residents N] [--seed N] [--signalr-share X] [--geo FILE] [--out FILE.ndjson]
        receive --secret S [--port 9000] [--timeout 600]
                                  one webhook endpoint on 127.0.0.1 that prints each alert it gets (and whether its
                                  X-AlertHub-Signature verifies with S); answers 200, stops after the timeout
        """;
}
