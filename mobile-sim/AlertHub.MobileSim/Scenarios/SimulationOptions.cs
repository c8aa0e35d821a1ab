namespace AlertHub.MobileSim.Scenarios;

/// <summary>A circle target (great-circle radius).</summary>
internal sealed record CircleArea(double Lat, double Lon, double RadiusMeters);

/// <summary>Options for one simulation run.</summary>
internal sealed record SimulationOptions
{
    /// <summary>Hub base address. Default http://127.0.0.1:5080.</summary>
    public Uri Hub { get; init; } = new("http://127.0.0.1:5080");

    /// <summary>With --cluster, every node's base address (node 1 is <see cref="Hub"/>): SignalR clients are spread over them.</summary>
    public IReadOnlyList<Uri> Nodes { get; init; } = [];

    /// <summary>Admin (or issuer) API key sent as X-Api-Key.</summary>
    public required string ApiKey { get; init; }

    /// <summary>Number of residents. Default 10,000.</summary>
    public int Residents { get; init; } = 10_000;

    /// <summary>Seed for the population (and webhook secrets). Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Share of residents on SignalR; the rest use a webhook. Default 0.5.</summary>
    public double SignalRShare { get; init; } = 0.5;

    /// <summary>Channel shares, e.g. signalr 0.1, line 0.35, fcm 0.25 …; null means <see cref="SignalRShare"/> with webhooks.</summary>
    public IReadOnlyList<(string Channel, double Share)>? ChannelMix { get; init; }

    /// <summary>Running provider peers (fake FCM, LINE, Web Push service, SMTP …) for the provider channels in the mix.</summary>
    public IReadOnlyList<Peers.IProviderPeer> Peers { get; init; } = [];

    /// <summary>Issue through the feed path instead of the alerts API: register the demo city as 横手市 (code 0520300), set
    /// a landslide rule, and push a 訓練 土砂災害警戒情報 telegram; latency is then measured from the telegram's arrival.</summary>
    public bool ViaFeed { get; init; }

    /// <summary>The receipt log the peers write into; the runner makes its own when null.</summary>
    public Report.ReceiptLog? Receipts { get; init; }

    /// <summary>Target area by id or name from GET /api/areas. Default 横手（デモ） when no circle is given.</summary>
    public string? AreaNameOrId { get; init; }

    /// <summary>Circle target instead of a named area.</summary>
    public CircleArea? Circle { get; init; }

    /// <summary>Household tags the audience must have any of; empty means everyone.</summary>
    public IReadOnlyList<string> Audience { get; init; } = [];

    /// <summary>How long to wait for deliveries after issuing. Default 60 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Receipts must stop growing for this long before the wait ends. Default 3 s.</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Demo geo file; default geo/demo-areas.geojson found upward from the binary or cwd.</summary>
    public string? GeoFile { get; init; }

    /// <summary>SignalR connections opened at once. Default 64.</summary>
    public int ConnectParallelism { get; init; } = 64;

    /// <summary>Per-connection connect + Subscribe timeout. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>NDJSON lines per import request. Default (and hub maximum) 50,000.</summary>
    public int ImportChunkSize { get; init; } = 50_000;

    /// <summary>Tolerance at a circle's edge inside which a place counts as neither in nor out. Default 1 m.</summary>
    public double CircleEdgeToleranceMeters { get; init; } = 1.0;

    /// <summary>What the run does (flood by default).</summary>
    public ScenarioKind Scenario { get; init; } = ScenarioKind.Flood;

    /// <summary>Which population: Yokote (default), Akita or synthetic.</summary>
    public Population.PopulationKind Population { get; init; } = MobileSim.Population.PopulationKind.Yokote;

    /// <summary>Yokote: 町字 points (GeoJSON, e.g. ../shared/geo/subareas/yokote_town_points.geojson) to scatter homes around.</summary>
    public string? TownsFile { get; init; }

    /// <summary>Akita: the municipality index CSV (e.g. ../shared/geo/akita_municipality_index.csv).</summary>
    public string? MunicipalitiesFile { get; init; }

    /// <summary>landslide: radius of the circle around the demo landslide zone's centre. Default 2 km.</summary>
    public double LandslideRadiusMeters { get; init; } = 2000;

    /// <summary>storm: how many alerts. Default 100.</summary>
    public int StormAlerts { get; init; } = 100;

    /// <summary>storm: over how long they are issued. Default 60 s.</summary>
    public TimeSpan StormSpan { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>outage: how long FCM answers 503. Default 30 s.</summary>
    public TimeSpan OutageDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>outage: the Retry-After FCM sends with its 503s. Default 5 s.</summary>
    public TimeSpan OutageRetryAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>outage: the share of FCM receipts in before FCM goes down (0 = down before the first send). Default 0.25.</summary>
    public double OutageTriggerShare { get; init; } = 0.25;

    /// <summary>--webhook-delay-ms: the residents' webhook endpoints answer this long after a message arrives (a deliberately slow channel). Default 0.</summary>
    public TimeSpan WebhookDelay { get; init; }

    /// <summary>--retract-at (update-cancel): issue the update and the cancel once this share of the first version has arrived, without
    /// waiting for it to settle. Default null: each version settles first.</summary>
    public double? RetractAt { get; init; }

    /// <summary>--repeat N (flood): issue the alert N times in a row, each once the last one's fan-out has ended, on every node in turn
    /// with --cluster; the report adds each issue's first receipt and their p50/p95 ("from any node"). Default 1.</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>--kill-hub-at: SIGKILL and restart the hub once each of these shares of the expected receipts is in. Default none.</summary>
    public IReadOnlyList<double> KillHubAt { get; init; } = [];

    /// <summary>Kills the hub and starts it again on the same data directory, returning how long that took (set with --start-hub).</summary>
    public Func<CancellationToken, Task<TimeSpan>>? KillAndRestartHub { get; init; }

    /// <summary>With --kill-db-primary / --kill-redis-primary: the server the kill hook kills (named in the report); null: a hub.</summary>
    public string? KilledServer { get; init; }

    /// <summary>The channel whose receipts the kill share counts (--kill-redis-primary: SignalR); null: every channel's.</summary>
    public string? KillOnChannel { get; init; }

    /// <summary>With --kill-node: the node the kill hook kills for good (named in the report); null: the one hub, restarted.</summary>
    public string? KilledNode { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>For in-process tests: the handler the hub's HttpClient uses (e.g. TestServer.CreateHandler()).</summary>
    public HttpMessageHandler? HubHandler { get; init; }

    /// <summary>For in-process tests: opens the simulated residents' WebSockets (e.g. TestServer's WebSocket client); null: a ClientWebSocket.</summary>
    public Clients.OpenSignalRSocket? OpenSignalRSocket { get; init; }

    /// <summary>Called as each SignalR client starts connecting (the progress bar).</summary>
    public Action? SignalRConnecting { get; init; }
}
