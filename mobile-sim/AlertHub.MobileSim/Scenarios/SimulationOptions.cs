using Microsoft.AspNetCore.Http.Connections.Client;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>A circle target (great-circle radius).</summary>
internal sealed record CircleArea(double Lat, double Lon, double RadiusMeters);

/// <summary>Options for one simulation run.</summary>
internal sealed record SimulationOptions
{
    /// <summary>Hub base address. Default http://127.0.0.1:5080.</summary>
    public Uri Hub { get; init; } = new("http://127.0.0.1:5080");

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

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>For in-process tests: the handler the hub's HttpClient uses (e.g. TestServer.CreateHandler()).</summary>
    public HttpMessageHandler? HubHandler { get; init; }

    /// <summary>For in-process tests: adjusts the SignalR connection options (transport, handler factory).</summary>
    public Action<HttpConnectionOptions>? ConfigureSignalR { get; init; }
}
