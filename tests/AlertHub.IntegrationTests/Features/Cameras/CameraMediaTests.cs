using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Server.Features.Media;
using AlertHub.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AlertHub.IntegrationTests.Features.Cameras;

/// <summary>
/// Real cameras on 127.0.0.1 (a Kestrel still/HLS server, ffmpeg's testsrc as an HLS camera, GStreamer's RTSP
/// server) watched by the real hub: snapshots, freshness transitions, the live relay read by ffprobe, and no
/// ffmpeg left behind. Thresholds are shortened through options: with a 1 s interval a camera is stale after
/// 3 s and offline after 6 s.
/// </summary>
public sealed class CameraMediaTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Password = "Pw-never-logged-42";
    private readonly CollectingLoggerProvider _logs = new();
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly List<IDisposable> _disposables = [];
    private readonly ConcurrentQueue<(JsonElement Event, DateTimeOffset ReceivedAt)> _statuses = new();
    private readonly ConcurrentQueue<(JsonElement Event, DateTimeOffset ReceivedAt)> _snapshots = new();
    private HubFactory? _hub;

    private static Dictionary<string, string?> FastSettings(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cameras:HealthCheckInterval"] = "00:00:00.250",
            ["Cameras:StatusDebounce"] = "00:00:00.500",
            ["Cameras:StaleGrace"] = "00:00:01",
            ["Cameras:OfflineGrace"] = "00:00:03",
            ["Cameras:RestartDelay"] = "00:00:00.500",
            ["Cameras:MaxRestartDelay"] = "00:00:02",
            ["Cameras:FetchTimeout"] = "00:00:05",
            ["Cameras:FrozenAfterIdentical"] = "3",
            ["Cameras:HistoryInterval"] = "00:00:00",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _hub?.Dispose();
        foreach (var d in _cleanup)
        {
            await d.DisposeAsync();
        }

        foreach (var d in _disposables)
        {
            d.Dispose();
        }
    }

    private HubFactory StartHub(Dictionary<string, string?>? extra = null, bool kestrel = false, string? dataDirectory = null)
    {
        _hub = new HubFactory(dataDirectory, FastSettings(extra), services => services.AddSingleton<ILoggerProvider>(_logs));
        if (kestrel)
        {
            _hub.UseKestrel(0);
            _hub.StartServer();
        }

        return _hub;
    }

    private string KestrelAddress => _hub!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private async Task ConnectStaffAsync(bool kestrel = false)
    {
        var connection = kestrel
            ? new HubConnectionBuilder().WithUrl($"{KestrelAddress}/hubs/staff", o => o.Headers["X-Api-Key"] = HubFactory.AdminKey).Build()
            : _hub!.SignalR(HubFactory.AdminKey);
        connection.On<JsonElement>("cameraStatus", e => _statuses.Enqueue((e, DateTimeOffset.UtcNow)));
        connection.On<JsonElement>("cameraSnapshot", e => _snapshots.Enqueue((e, DateTimeOffset.UtcNow)));
        await connection.StartListeningAsync();
        _cleanup.Add(connection);
    }

    private static object Camera(string kind, string url, int interval = 1, bool withCredentials = true) => new
    {
        name = $"test {kind}",
        kind,
        url,
        location = new { lat = 39.31, lon = 140.56 },
        snapshotIntervalSeconds = interval,
        liveEnabled = true,
        username = withCredentials ? "operator" : null,
        password = withCredentials ? Password : null,
    };

    private static async Task<string> CreateAsync(HttpClient admin, object camera)
    {
        var response = await admin.PostAsJsonAsync("/api/cameras", camera);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync())["id"]!.GetValue<string>();
    }

    /// <summary>Waits for a <c>cameraStatus</c> event with the status, after <paramref name="since"/>; returns when it arrived.</summary>
    private async Task<DateTimeOffset> WaitForStatusAsync(string cameraId, string status, DateTimeOffset since, TimeSpan timeout)
    {
        var hit = await CameraTestHelpers.EventuallyAsync(() => Task.FromResult<object?>(_statuses
            .Where(s => s.ReceivedAt >= since && s.Event.GetProperty("cameraId").GetString() == cameraId && s.Event.GetProperty("status").GetString() == status)
            .Select(s => (object?)s.ReceivedAt).FirstOrDefault()), timeout, $"camera {cameraId} {status}; saw {string.Join(", ", _statuses.Select(s => s.Event.GetProperty("status").GetString()))}");
        return (DateTimeOffset)hit;
    }

    private void AssertNoSecretLogged()
    {
        Assert.NotEmpty(_logs.Messages);
        Assert.DoesNotContain(_logs.Messages, m => m.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task JpegPoll_FreshThenFrozenThenOfflineThenBack_EachTransitionPushedAndOnTheTimeline()
    {
        var camera = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(camera);
        camera.Still = TestImages.Jpeg("still 0");
        var hub = StartHub();
        await hub.WaitReadyAsync();
        await ConnectStaffAsync();
        using var admin = hub.Admin();
        var start = DateTimeOffset.UtcNow;
        var id = await CreateAsync(admin, Camera("jpeg-poll", $"{camera.BaseUrl}/snap.jpg"));

        await WaitForStatusAsync(id, "online", start, TimeSpan.FromSeconds(10));
        // The same picture on every poll: a frozen camera.
        var frozenAt = await WaitForStatusAsync(id, "frozen", start, TimeSpan.FromSeconds(15));
        using var moving = new CancellationTokenSource();
        var mover = Task.Run(async () =>
        {
            for (var i = 1; !moving.IsCancellationRequested; i++)
            {
                camera.Still = TestImages.Jpeg($"still {i}");
                await Task.Delay(300);
            }
        });
        await WaitForStatusAsync(id, "online", frozenAt, TimeSpan.FromSeconds(10));

        camera.Failing = true;
        var failedAt = DateTimeOffset.UtcNow;
        var staleAt = await WaitForStatusAsync(id, "stale", failedAt, TimeSpan.FromSeconds(10));
        var offlineAt = await WaitForStatusAsync(id, "offline", failedAt, TimeSpan.FromSeconds(15));
        output.WriteLine($"jpeg-poll: stale {(staleAt - failedAt).TotalSeconds:0.0} s, offline {(offlineAt - failedAt).TotalSeconds:0.0} s after the camera failed");
        Assert.True(staleAt < offlineAt);

        camera.Failing = false;
        var backAt = DateTimeOffset.UtcNow;
        await WaitForStatusAsync(id, "online", backAt, TimeSpan.FromSeconds(15));
        await moving.CancelAsync();
        await mover;

        var timeline = (await admin.GetFromJsonAsync<JsonArray>($"/api/cameras/{id}/timeline"))!.Select(t => t!["status"]!.GetValue<string>()).ToList();
        Assert.Equal(["online", "frozen", "online", "stale", "offline", "online"], timeline);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"operator:{Password}"));
        Assert.All(camera.Authorizations, a => Assert.Equal(expected, a));
        var json = await admin.GetStringAsync("/api/cameras");
        Assert.DoesNotContain(Password, json, StringComparison.Ordinal);
        Assert.Equal("online", JsonNode.Parse(json)!["cameras"]![0]!["status"]!.GetValue<string>());
        AssertNoSecretLogged();

        var latencies = _snapshots.Select(s => (s.ReceivedAt - s.Event.GetProperty("at").GetDateTimeOffset()).TotalMilliseconds).Order().ToList();
        output.WriteLine($"snapshot → SignalR: n={latencies.Count}, median {latencies[latencies.Count / 2]:0} ms, max {latencies[^1]:0} ms");
    }

    [Fact]
    public async Task StaffWebhook_HearsOfflineAndBackOnline_SignedAndNotTheStaleInBetween()
    {
        var camera = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(camera);
        var receiver = await WebhookReceiver.StartAsync();
        _cleanup.Add(receiver);
        const string secret = "duty-officers-bot-secret";
        var hub = StartHub(new() { ["Cameras:StaffWebhookUrl"] = receiver.Url("duty", secret), ["Cameras:StaffWebhookSecret"] = secret });
        await hub.WaitReadyAsync();
        await ConnectStaffAsync();
        using var admin = hub.Admin();
        using var moving = new CancellationTokenSource();
        var mover = Task.Run(async () =>
        {
            for (var i = 0; !moving.IsCancellationRequested; i++)
            {
                camera.Still = TestImages.Jpeg($"river {i}");
                await Task.Delay(300);
            }
        });
        var start = DateTimeOffset.UtcNow;
        var id = await CreateAsync(admin, Camera("jpeg-poll", $"{camera.BaseUrl}/snap.jpg"));
        await WaitForStatusAsync(id, "online", start, TimeSpan.FromSeconds(10));

        camera.Failing = true;
        var failedAt = DateTimeOffset.UtcNow;
        await WaitForStatusAsync(id, "offline", failedAt, TimeSpan.FromSeconds(15));
        camera.Failing = false;
        await WaitForStatusAsync(id, "online", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(15));
        await receiver.WaitForAsync(r => r.Count >= 2, TimeSpan.FromSeconds(10));
        await moving.CancelAsync();
        await mover;

        // The first "online" (from unknown) and "stale" are the dashboard's business; offline and its recovery page staff.
        var notices = receiver.Received.ToList();
        Assert.Equal(["offline", "online"], notices.Select(n => n.Json["status"]!.GetValue<string>()));
        Assert.All(notices, n => Assert.True(n.SignatureValid));
        Assert.All(notices, n => Assert.Equal(id, n.Json["cameraId"]!.GetValue<string>()));
        Assert.Equal("offline", notices[1].Json["previous"]!.GetValue<string>());
        Assert.EndsWith($"/api/cameras/{id}/snapshot.jpg", notices[0].Json["snapshotUrl"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaffWebhook_WithTheWebhookChannelOff_IsStillGuarded_ARedirectToADeniedHostIsNotFollowed()
    {
        var camera = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(camera);
        camera.Failing = true;
        var forbidden = await WebhookReceiver.StartAsync();
        _cleanup.Add(forbidden);
        const string secret = "duty-officers-bot-secret";
        var target = forbidden.Url("duty", secret);
        var redirects = 0;
        var redirector = WebApplication.CreateSlimBuilder();
        redirector.WebHost.UseUrls("http://127.0.0.1:0");
        redirector.Logging.ClearProviders();
        var app = redirector.Build();
        app.MapPost("/duty", () =>
        {
            Interlocked.Increment(ref redirects);
            return Results.Redirect(target, permanent: false, preserveMethod: true);
        });
        await app.StartAsync();
        _cleanup.Add(app);
        var redirectorUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/duty";
        var hub = StartHub(new()
        {
            ["Channels:Webhook:Enabled"] = "false",
            ["Cameras:StaffWebhookUrl"] = redirectorUrl,
            ["Cameras:StaffWebhookSecret"] = secret,
            ["Security:OutboundUrls:DeniedHosts:0"] = $"127.0.0.1:{new Uri(forbidden.BaseUrl).Port}",
        });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();

        await CreateAsync(admin, Camera("jpeg-poll", $"{camera.BaseUrl}/snap.jpg"));
        for (var i = 0; i < 300 && Volatile.Read(ref redirects) == 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(Volatile.Read(ref redirects) > 0, "the offline notice never reached the staff webhook");
        await Task.Delay(1000);
        Assert.Empty(forbidden.Received);
    }

    [Fact]
    public async Task MjpegCamera_OneFramePerIntervalBecomesTheSnapshot()
    {
        var camera = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(camera);
        var hub = StartHub();
        await hub.WaitReadyAsync();
        await ConnectStaffAsync();
        using var admin = hub.Admin();
        var start = DateTimeOffset.UtcNow;
        var id = await CreateAsync(admin, Camera("mjpeg", $"{camera.BaseUrl}/mjpeg", withCredentials: false));
        await WaitForStatusAsync(id, "online", start, TimeSpan.FromSeconds(10));
        var first = await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg");
        await Task.Delay(2500);
        var second = await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg");
        Assert.Equal(JpegProblem.None, JpegImages.Check(second));
        Assert.NotEqual(first, second);
        // Frames arrive every 200 ms but the interval is 1 s: about one in five is kept, never all of them.
        var elapsed = (DateTimeOffset.UtcNow - start).TotalSeconds;
        var kept = _snapshots.Count(s => s.Event.GetProperty("cameraId").GetString() == id);
        Assert.InRange(kept, 2, (int)elapsed + 2);
    }

    [Fact]
    public async Task LowDisk_PolledCamera_LatestKeepsUpdatingButHistoryPausesUntilSpaceIsBack()
    {
        var camera = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(camera);
        using var moving = new CancellationTokenSource();
        var mover = Task.Run(async () =>
        {
            for (var i = 1; !moving.IsCancellationRequested; i++)
            {
                camera.Still = TestImages.Jpeg($"low disk {i}");
                await Task.Delay(250);
            }
        });
        var hub = StartHub(new() { ["Storage:MinFreeDiskMegabytes"] = "1000000000000" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var id = await CreateAsync(admin, Camera("jpeg-poll", $"{camera.BaseUrl}/snap.jpg", withCredentials: false));
        await CameraTestHelpers.EventuallyAsync(() => Task.FromResult(camera.Authorizations.Count >= 4 ? "polled" : null), TimeSpan.FromSeconds(15), "four polls");
        var first = await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg");
        await CameraTestHelpers.EventuallyAsync(async () => (await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg")).SequenceEqual(first) ? null : "changed",
            TimeSpan.FromSeconds(10), "a newer latest image");
        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>($"/api/cameras/{id}/snapshots"))!);

        Storage.DiskSpaceTests.FreeSpaceAgain(hub);

        await CameraTestHelpers.EventuallyAsync(async () => (await admin.GetFromJsonAsync<JsonArray>($"/api/cameras/{id}/snapshots"))!.Count >= 2 ? "kept" : null,
            TimeSpan.FromSeconds(15), "history again once space is back");
        await moving.CancelAsync();
        await mover;
    }

    [Fact]
    public async Task ActiveAlertOverCamera_SnapshotsComeFaster()
    {
        var camera = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(camera);
        camera.Still = TestImages.Jpeg("slow");
        var hub = StartHub(new() { ["Cameras:AlertSnapshotIntervalSeconds"] = "1", ["Cameras:AlertCheckInterval"] = "00:00:00.500" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await CreateAsync(admin, Camera("jpeg-poll", $"{camera.BaseUrl}/snap.jpg", interval: 600, withCredentials: false));
        await CameraTestHelpers.EventuallyAsync(() => Task.FromResult(camera.Authorizations.IsEmpty ? null : "polled"), TimeSpan.FromSeconds(10), "first poll");
        await Task.Delay(2000);
        Assert.Single(camera.Authorizations);

        await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.31, lon = 140.56, radiusMeters = 2000 } } }));
        await CameraTestHelpers.EventuallyAsync(() => Task.FromResult(camera.Authorizations.Count >= 4 ? "fast" : null), TimeSpan.FromSeconds(15),
            "polls at the alert interval");
    }

    [ToolFact("ffmpeg")]
    public async Task HlsCamera_SnapshotsChange_ProxyServesPlaylistAndSegments_StuckSourceIsFlaggedThenRecovers()
    {
        var server = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(server);
        var source = new HlsTestCamera();
        _disposables.Add(source);
        server.HlsDirectory = source.Folder;
        source.Start();
        await source.WaitForPlaylistAsync(TimeSpan.FromSeconds(20));
        var hub = StartHub();
        await hub.WaitReadyAsync();
        await ConnectStaffAsync();
        using var admin = hub.Admin();
        var start = DateTimeOffset.UtcNow;
        var id = await CreateAsync(admin, Camera("hls", $"{server.BaseUrl}/hls/index.m3u8", withCredentials: false));
        await WaitForStatusAsync(id, "online", start, TimeSpan.FromSeconds(20));

        var first = await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg");
        await Task.Delay(2500);
        var second = await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg");
        Assert.Equal(JpegProblem.None, JpegImages.Check(first));
        Assert.Equal(JpegProblem.None, JpegImages.Check(second));
        Assert.Equal((640, 360), JpegImages.Dimensions(second));
        Assert.NotEqual(first, second);

        var playlist = await admin.GetAsync($"/live/{id}/index.m3u8");
        Assert.Equal(HttpStatusCode.OK, playlist.StatusCode);
        Assert.Equal("application/vnd.apple.mpegurl", playlist.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", playlist.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var text = await playlist.Content.ReadAsStringAsync();
        Assert.DoesNotContain(server.BaseUrl, text, StringComparison.Ordinal);
        var segment = text.Split('\n').First(l => l.StartsWith($"/live/{id}/u/", StringComparison.Ordinal));
        var segmentResponse = await admin.GetAsync(segment);
        Assert.Equal(HttpStatusCode.OK, segmentResponse.StatusCode);
        Assert.Equal("video/mp2t", segmentResponse.Content.Headers.ContentType?.MediaType);
        var bytes = await segmentResponse.Content.ReadAsByteArrayAsync();
        Assert.True(bytes.Length > 188 && bytes[0] == 0x47 && bytes[188] == 0x47, "an MPEG-TS segment starts with sync bytes every 188 bytes");

        // A second viewer gets the same segment from the hub, not from the camera again.
        var segmentFile = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(segment.Split('/')[^1])).Split('/')[^1];
        var upstreamBefore = server.HlsRequests[segmentFile];
        using var secondViewer = hub.WithKey(await hub.CreateKeyAsync("viewer"));
        Assert.Equal(bytes, await secondViewer.GetByteArrayAsync(segment));
        Assert.Equal(upstreamBefore, server.HlsRequests[segmentFile]);

        // A token naming another host cannot be smuggled in: only paths on the camera's origin are fetched.
        var foreign = Convert.ToBase64String(Encoding.UTF8.GetBytes("//example.com/x.ts")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await (await admin.GetAsync($"/live/{id}/u/{foreign}")).AssertProblemAsync(404, "request.not_found");

        // A stuck upstream: ffmpeg finds no new segment to start from, so no new image comes (stale), or the
        // same last segment yields the same picture (frozen); either must show.
        source.Stop();
        var stoppedAt = DateTimeOffset.UtcNow;
        await CameraTestHelpers.EventuallyAsync(() => Task.FromResult(_statuses.Any(s => s.ReceivedAt >= stoppedAt
            && s.Event.GetProperty("status").GetString() is "stale" or "frozen") ? "flagged" : null), TimeSpan.FromSeconds(20), "stale or frozen");
        source.Start();
        await WaitForStatusAsync(id, "online", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// The "forbidden" host is a second loopback server, refused by the hub through
    /// Security:OutboundUrls:DeniedHosts (its port). It serves a real, working HLS stream, so ffmpeg reaching it
    /// would bring the camera online.
    /// </summary>
    [ToolFact("ffmpeg")]
    public Task HlsCamera_MediaPlaylistListsSegmentsOnARefusedHost_NeverRequested_OfflineWithTheReason() =>
        RefusedHlsHostAsync("media playlist lists segments on the refused host");

    [ToolFact("ffmpeg")]
    public Task HlsCamera_MasterPlaylistListsAVariantOnARefusedHost_NeverRequested_OfflineWithTheReason() =>
        RefusedHlsHostAsync("master playlist lists a variant on the refused host");

    [ToolFact("ffmpeg")]
    public Task HlsCamera_PlaylistUrlRedirectsToARefusedHost_NeverRequested_OfflineWithTheReason() =>
        RefusedHlsHostAsync("playlist URL redirects to the refused host");

    private async Task RefusedHlsHostAsync(string shape)
    {
        var source = new HlsTestCamera();
        _disposables.Add(source);
        source.Start();
        await source.WaitForPlaylistAsync(TimeSpan.FromSeconds(20));
        var forbidden = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(forbidden);
        forbidden.HlsDirectory = source.Folder;
        var camera = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(camera);
        string url;
        if (shape.StartsWith("media", StringComparison.Ordinal))
        {
            camera.CustomPlaylists["index.m3u8"] = () => string.Join('\n', File.ReadAllLines(Path.Combine(source.Folder, "index.m3u8"))
                .Select(l => l.Length > 0 && !l.StartsWith('#') ? $"{forbidden.BaseUrl}/hls/{l}" : l));
            url = $"{camera.BaseUrl}/custom/index.m3u8";
        }
        else if (shape.StartsWith("master", StringComparison.Ordinal))
        {
            camera.CustomPlaylists["master.m3u8"] = () => $"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n{forbidden.BaseUrl}/hls/index.m3u8\n";
            url = $"{camera.BaseUrl}/custom/master.m3u8";
        }
        else
        {
            camera.Redirects["index.m3u8"] = $"{forbidden.BaseUrl}/hls/index.m3u8";
            url = $"{camera.BaseUrl}/redirect/index.m3u8";
        }

        var hub = StartHub(new() { ["Security:OutboundUrls:DeniedHosts:0"] = $"127.0.0.1:{forbidden.Port}" });
        await hub.WaitReadyAsync();
        await ConnectStaffAsync();
        using var admin = hub.Admin();
        var start = DateTimeOffset.UtcNow;
        var id = await CreateAsync(admin, Camera("hls", url));

        await WaitForStatusAsync(id, "offline", start, TimeSpan.FromSeconds(25));
        var reason = _statuses.Last(s => s.Event.GetProperty("cameraId").GetString() == id).Event.GetProperty("reason").GetString()!;
        output.WriteLine($"{shape}: {reason}");
        Assert.Contains("refused by Security:OutboundUrls", reason, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{forbidden.Port}", reason, StringComparison.Ordinal);
        Assert.Contains("DeniedHosts", reason, StringComparison.Ordinal);
        Assert.NotEmpty(camera.AllRequests);
        Assert.Empty(forbidden.AllRequests);
        var timeline = await admin.GetFromJsonAsync<JsonArray>($"/api/cameras/{id}/timeline");
        Assert.Contains("refused by Security:OutboundUrls", timeline![^1]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        AssertNoSecretLogged();
    }

    [ToolFact("ffmpeg")]
    public async Task HlsCamera_RedirectToAnotherAllowedHost_FollowedThroughTheGateway_CredentialsStayWithTheCamera()
    {
        var source = new HlsTestCamera();
        _disposables.Add(source);
        source.Start();
        await source.WaitForPlaylistAsync(TimeSpan.FromSeconds(20));
        var cdn = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(cdn);
        cdn.HlsDirectory = source.Folder;
        var camera = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(camera);
        camera.Redirects["index.m3u8"] = $"{cdn.BaseUrl}/hls/index.m3u8";
        var hub = StartHub();
        await hub.WaitReadyAsync();
        await ConnectStaffAsync();
        using var admin = hub.Admin();
        var start = DateTimeOffset.UtcNow;
        var id = await CreateAsync(admin, Camera("hls", $"{camera.BaseUrl}/redirect/index.m3u8"));

        await WaitForStatusAsync(id, "online", start, TimeSpan.FromSeconds(20));
        Assert.Equal(JpegProblem.None, JpegImages.Check(await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg")));
        Assert.Contains(cdn.AllRequests, r => r.EndsWith(".ts", StringComparison.Ordinal));
        Assert.Empty(cdn.Authorizations);
        AssertNoSecretLogged();
    }

    [Theory]
    [InlineData("jpeg-poll", "snap.jpg")]
    [InlineData("mjpeg", "mjpeg")]
    public async Task PolledCamera_RedirectToARefusedHost_NotFollowed_OfflineSaysWhy(string kind, string path)
    {
        var forbidden = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(forbidden);
        forbidden.Still = TestImages.Jpeg("forbidden");
        var camera = await LoopbackCameraServer.StartAsync();
        _cleanup.Add(camera);
        camera.Redirects[path] = $"{forbidden.BaseUrl}/{path}";
        var hub = StartHub(new() { ["Security:OutboundUrls:DeniedHosts:0"] = $"127.0.0.1:{forbidden.Port}" });
        await hub.WaitReadyAsync();
        await ConnectStaffAsync();
        using var admin = hub.Admin();
        var start = DateTimeOffset.UtcNow;
        var id = await CreateAsync(admin, Camera(kind, $"{camera.BaseUrl}/redirect/{path}"));

        await WaitForStatusAsync(id, "offline", start, TimeSpan.FromSeconds(20));
        var reason = _statuses.Last(s => s.Event.GetProperty("cameraId").GetString() == id).Event.GetProperty("reason").GetString()!;
        Assert.Contains($"redirecting to http://127.0.0.1:{forbidden.Port}/{path}; redirects are not followed", reason, StringComparison.Ordinal);
        Assert.Empty(forbidden.AllRequests);
    }

    [ToolFact("gst-rtsp-server")]
    public async Task RtspCamera_RelayReadByFfprobe_KilledGoesStaleThenOfflineAndBack_NoFfmpegLeftAfterStop()
    {
        var rtsp = new RtspTestCamera();
        _disposables.Add(rtsp);
        await rtsp.StartAsync();
        var hub = StartHub(kestrel: true);
        await hub.WaitReadyAsync();
        await ConnectStaffAsync(kestrel: true);
        using var admin = new HttpClient { BaseAddress = new Uri(KestrelAddress) };
        admin.DefaultRequestHeaders.Add("X-Api-Key", HubFactory.AdminKey);
        var start = DateTimeOffset.UtcNow;
        var id = await CreateAsync(admin, Camera("rtsp", rtsp.Url));
        var onlineAt = await WaitForStatusAsync(id, "online", start, TimeSpan.FromSeconds(20));
        output.WriteLine($"rtsp: online {(onlineAt - start).TotalSeconds:0.0} s after registration");

        var first = await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg");
        await Task.Delay(2500);
        var second = await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg");
        Assert.Equal(JpegProblem.None, JpegImages.Check(second));
        Assert.Equal((640, 360), JpegImages.Dimensions(second));
        Assert.NotEqual(first, second);

        // The first playlist request starts the relay; it answers once a segment exists.
        var watchStart = Stopwatch.StartNew();
        var playlist = await CameraTestHelpers.EventuallyAsync(async () =>
        {
            var response = await admin.GetAsync($"/live/{id}/index.m3u8");
            return response.StatusCode == HttpStatusCode.OK ? response : null;
        }, TimeSpan.FromSeconds(30), "the live playlist");
        output.WriteLine($"rtsp: relay playlist after {watchStart.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal("application/vnd.apple.mpegurl", playlist.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", playlist.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var segmentName = (await playlist.Content.ReadAsStringAsync()).Split('\n').First(l => l.EndsWith(".ts", StringComparison.Ordinal));
        var segment = await admin.GetAsync($"/live/{id}/{segmentName}");
        Assert.Equal("video/mp2t", segment.Content.Headers.ContentType?.MediaType);

        var probe = await RunAsync("ffprobe", [
            "-v", "error", "-headers", $"X-Api-Key: {HubFactory.AdminKey}\r\n", "-show_entries", "stream=codec_name,width,height",
            "-of", "json", $"{KestrelAddress}/live/{id}/index.m3u8",
        ], TimeSpan.FromSeconds(30));
        var stream = JsonNode.Parse(probe)!["streams"]![0]!;
        Assert.Equal("h264", stream["codec_name"]!.GetValue<string>());
        Assert.Equal(640, stream["width"]!.GetValue<int>());
        Assert.Equal(360, stream["height"]!.GetValue<int>());

        var mediaRoot = Path.GetFullPath(Path.Combine(hub.DataDirectory, "cameras"));
        Assert.NotEmpty(CameraTestHelpers.OurFfmpegs(mediaRoot));

        rtsp.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        var staleAt = await WaitForStatusAsync(id, "stale", killedAt, TimeSpan.FromSeconds(15));
        var offlineAt = await WaitForStatusAsync(id, "offline", killedAt, TimeSpan.FromSeconds(20));
        output.WriteLine($"rtsp: stale {(staleAt - killedAt).TotalSeconds:0.0} s, offline {(offlineAt - killedAt).TotalSeconds:0.0} s after the camera was killed");
        // Thresholds 3 s / 6 s, plus the 0.5 s debounce and a 250 ms tick; 4 s slack for a loaded machine.
        Assert.InRange((staleAt - killedAt).TotalSeconds, 0, 3 + 0.5 + 4);
        Assert.InRange((offlineAt - killedAt).TotalSeconds, 0, 6 + 0.5 + 4);

        await rtsp.StartAsync();
        var returnedAt = DateTimeOffset.UtcNow;
        var backAt = await WaitForStatusAsync(id, "online", returnedAt, TimeSpan.FromSeconds(20));
        output.WriteLine($"rtsp: online again {(backAt - returnedAt).TotalSeconds:0.0} s after the camera returned");

        AssertNoSecretLogged();
        Assert.DoesNotContain(Password, await admin.GetStringAsync("/api/cameras"), StringComparison.Ordinal);

        _hub!.Dispose();
        _hub = null;
        await CameraTestHelpers.EventuallyAsync(() => Task.FromResult(CameraTestHelpers.OurFfmpegs(mediaRoot).Count == 0 ? "none" : null),
            TimeSpan.FromSeconds(10), "no ffmpeg left after the hub stopped");
    }

    [ToolFact("ffmpeg")]
    public async Task RtspCamera_RedirectToARefusedHost_NeverConnected_OfflineWithTheReason()
    {
        using var forbidden = new CountingListener();
        using var camera = new RedirectingRtspServer($"rtsp://127.0.0.1:{forbidden.Port}/cam");
        var hub = StartHub(new() { ["Security:OutboundUrls:DeniedHosts:0"] = $"127.0.0.1:{forbidden.Port}" });
        await hub.WaitReadyAsync();
        await ConnectStaffAsync();
        using var admin = hub.Admin();
        var start = DateTimeOffset.UtcNow;
        var id = await CreateAsync(admin, Camera("rtsp", camera.Url));

        await WaitForStatusAsync(id, "offline", start, TimeSpan.FromSeconds(20));
        var reason = _statuses.Last(s => s.Event.GetProperty("cameraId").GetString() == id).Event.GetProperty("reason").GetString()!;
        output.WriteLine(reason);
        Assert.Contains("refused by Security:OutboundUrls", reason, StringComparison.Ordinal);
        Assert.Contains($"answered RTSP 302 to rtsp://127.0.0.1:{forbidden.Port}/cam", reason, StringComparison.Ordinal);
        Assert.True(camera.Requests > 0, "ffmpeg asked the camera");
        Assert.Equal(0, forbidden.Accepted);
        AssertNoSecretLogged();
    }

    [ToolFact("gst-rtsp-server")]
    public async Task RtspCamera_SlowInterval_FirstImageComesAtOnce()
    {
        var rtsp = new RtspTestCamera();
        _disposables.Add(rtsp);
        await rtsp.StartAsync();
        var hub = StartHub();
        await hub.WaitReadyAsync();
        await ConnectStaffAsync();
        using var admin = hub.Admin();
        var start = DateTimeOffset.UtcNow;
        // An fps=1/60 filter would hold the first image back for 30 s; it must come with the first frames.
        var id = await CreateAsync(admin, Camera("rtsp", rtsp.Url, interval: 60, withCredentials: false));
        var onlineAt = await WaitForStatusAsync(id, "online", start, TimeSpan.FromSeconds(20));
        output.WriteLine($"rtsp at a 60 s interval: first image {(onlineAt - start).TotalSeconds:0.0} s after registration");
        Assert.Equal(JpegProblem.None, JpegImages.Check(await admin.GetByteArrayAsync($"/api/cameras/{id}/snapshot.jpg")));
    }

    [Fact]
    public async Task FfmpegMissing_CamerasSaySoHealthIsDegradedAndTheRestWorks()
    {
        var hub = StartHub(new() { ["Cameras:FfmpegPath"] = "/nonexistent/ffmpeg" });
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var health = await (await admin.GetAsync("/health")).JsonAsync();
        Assert.Equal("ready", health["status"]!.GetValue<string>());
        Assert.Contains("/nonexistent/ffmpeg", health["degraded"]!["cameras"]!.GetValue<string>(), StringComparison.Ordinal);

        var id = await CreateAsync(admin, Camera("rtsp", "rtsp://127.0.0.1:1/cam"));
        var list = await (await admin.GetAsync("/api/cameras")).JsonAsync();
        Assert.False(list["mediaEngine"]!["available"]!.GetValue<bool>());
        Assert.Null(list["mediaEngine"]!["ffmpeg"]);
        Assert.Contains("Cameras:FfmpegPath", list["mediaEngine"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        await (await admin.GetAsync($"/live/{id}/index.m3u8")).AssertProblemAsync(503, "cameras.media_engine_unavailable");

        var push = await CreateAsync(admin, Camera("jpeg-poll", "", withCredentials: false));
        var content = new ByteArrayContent(TestImages.Jpeg("pushed"));
        content.Headers.ContentType = new("image/jpeg");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"/api/cameras/{push}/snapshots", content)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("/api/alerts",
            Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.5, radiusMeters = 1000 } } }))).StatusCode);
    }

    [ToolFact("ffmpeg")]
    public async Task Start_KillsFfmpegLeftBehindByACrashedHub()
    {
        var dataDirectory = HubFactory.NewDataDirectory();
        var mediaRoot = Path.GetFullPath(Path.Combine(dataDirectory, "cameras"));
        Directory.CreateDirectory(Path.Combine(mediaRoot, "crashed"));
        using var orphan = OwnedProcess.Start("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=5", "-f", "null", "-"],
            new Dictionary<string, string> { ["ALERTHUB_MEDIA_ROOT"] = mediaRoot });
        File.WriteAllText(Path.Combine(mediaRoot, "crashed", "ffmpeg.pid"), orphan.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var unrelated = OwnedProcess.Start("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=5", "-f", "null", "-"]);
        await CameraTestHelpers.EventuallyAsync(() => Task.FromResult(CameraTestHelpers.OurFfmpegs(mediaRoot).Count == 1 ? "up" : null), TimeSpan.FromSeconds(5), "the orphan");

        var hub = StartHub(dataDirectory: dataDirectory);
        await hub.WaitReadyAsync();
        await CameraTestHelpers.EventuallyAsync(() => Task.FromResult(orphan.HasExited ? "gone" : null), TimeSpan.FromSeconds(10), "the orphan to be killed");
        Assert.False(unrelated.HasExited, "an ffmpeg the hub did not start must survive");
        Assert.False(File.Exists(Path.Combine(mediaRoot, "crashed", "ffmpeg.pid")));
        _hub!.Dispose();
        _hub = null;
        Directory.Delete(dataDirectory, recursive: true);
    }

    private static async Task<string> RunAsync(string program, string[] args, TimeSpan timeout)
    {
        using var process = OwnedProcess.Start(program, args);
        var all = new StringBuilder();
        using var cts = new CancellationTokenSource(timeout);
        while (await ReadLineOrNullAsync(process, cts.Token) is { } line)
        {
            all.AppendLine(line);
        }

        return all.ToString();
    }

    private static async Task<string?> ReadLineOrNullAsync(OwnedProcess process, CancellationToken cancellationToken)
    {
        try
        {
            return await process.ReadLineAsync(TimeSpan.FromSeconds(30)).WaitAsync(cancellationToken);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
