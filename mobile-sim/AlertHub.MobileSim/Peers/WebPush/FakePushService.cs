using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AlertHub.MobileSim.Report;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AlertHub.MobileSim.Peers.WebPush;

/// <summary>A subscription the fake minted: what the browser would hand the hub (endpoint + keys).</summary>
internal sealed record FakeSubscription(string Id, string? ExternalId, string Endpoint, string P256dh, string Auth, string? ApplicationServerKey);

/// <summary>One message the fake accepted, decrypted as the browser would see it.</summary>
internal sealed record PushedMessage(
    string SubscriptionId, string? ExternalId, string Plaintext, long Ttl, string? Urgency, string? Topic, string VapidKey, DateTimeOffset ReceivedAt)
{
    public JsonElement Json => JsonDocument.Parse(Plaintext).RootElement.Clone();
}

/// <summary>
/// A Web Push service (RFC 8030/8291/8292) on 127.0.0.1: mints subscriptions, accepts <c>POST /push/{id}</c>
/// with VAPID authorization and an encrypted <c>aes128gcm</c> body, decrypts it like the browser would and
/// answers <c>201 Created</c> with a <c>Location</c>. Failures follow the RFCs: unknown subscription 404,
/// unsubscribed 410, oversize 413, bad VAPID 401 (403 for a key the subscription was not made for),
/// missing TTL or bad headers 400; scripted statuses (429 + Retry-After, 5xx…) per subscription or for all.
/// Messages with the same <c>Topic</c> replace each other in a subscription's undelivered inbox.
/// </summary>
internal sealed class FakePushService : IProviderPeer
{
    /// <summary>Port for load runs; tests use 0 (any free port).</summary>
    public const int DefaultPort = 5093;

    public const string ChannelName = "webpush";

    /// <summary>RFC 8030 §7.2: services must accept at least 4096 bytes of payload; this one accepts exactly that.</summary>
    public const int MaxBodyBytes = 4096;

    private static readonly string[] Urgencies = ["very-low", "low", "normal", "high"];

    private readonly ConcurrentDictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ScriptedFailure> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<PushedMessage> _messages = new();
    private readonly ReceiptLog _log;
    private readonly TimeProvider _time;
    private readonly int _port;
    private readonly byte[] _seed;
    private VapidVerifier? _vapid;
    private WebApplication? _app;
    private int _rejected;

    /// <param name="seed">Makes <see cref="EndpointFor"/> keys deterministic per external id (same seed, same keys).</param>
    public FakePushService(ReceiptLog log, TimeProvider? time = null, int port = 0, string seed = "alerthub-mobilesim-webpush")
    {
        _log = log;
        _time = time ?? TimeProvider.System;
        _port = port;
        _seed = Encoding.UTF8.GetBytes(seed);
    }

    public string Channel => ChannelName;

    /// <summary>scheme://host:port, the <c>aud</c> VAPID tokens must name; valid after <see cref="StartAsync"/>.</summary>
    public string Origin { get; private set; } = "";

    public IReadOnlyDictionary<string, string?> HubSettings => new Dictionary<string, string?>
    {
        ["Channels:WebPush:Enabled"] = "true",
        // The fake is plain http on loopback; a real push service is public https.
        ["Security:OutboundUrls:AllowLoopback"] = "true",
        ["Security:OutboundUrls:AllowHttp"] = "true",
    };

    /// <summary>Every accepted message, in arrival order.</summary>
    public IReadOnlyList<PushedMessage> Messages => [.. _messages];

    /// <summary>Requests refused with a 4xx other than scripted ones (bad VAPID, missing TTL, undecryptable…).</summary>
    public int Rejected => Volatile.Read(ref _rejected);

    /// <summary>Why the last refused request was refused (for test failure messages).</summary>
    public string? LastRejection { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakePushService).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, _port);
            k.Limits.MaxRequestBodySize = 64 * 1024;
        });

        var app = builder.Build();
        app.MapPost("/push/{id}", HandlePushAsync);
        app.MapPost("/subscribe", (SubscribeRequest? request) =>
        {
            var s = Subscribe(request?.ExternalId, request?.ApplicationServerKey);
            return TypedResults.Ok(new { endpoint = s.Endpoint, keys = new { p256dh = s.P256dh, auth = s.Auth } });
        });
        await app.StartAsync(cancellationToken);
        _app = app;

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel did not report the address it bound.");
        Origin = new Uri(address).GetLeftPart(UriPartial.Authority);
        _vapid = new VapidVerifier(Origin, _time);
    }

    /// <summary>Mints a subscription as a browser's <c>pushManager.subscribe</c> would. With an external id the keys
    /// and endpoint are derived from it (load runs re-register the same residents); without, they are random.
    /// With an application server key, pushes signed by any other key get 403.</summary>
    public FakeSubscription Subscribe(string? externalId = null, string? applicationServerKey = null)
    {
        if (Origin.Length == 0)
        {
            throw new InvalidOperationException("Start the fake push service first.");
        }

        string id;
        byte[] auth;
        ECDiffieHellman key;
        if (externalId is null)
        {
            id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            auth = RandomNumberGenerator.GetBytes(16);
            key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        }
        else
        {
            id = Convert.ToHexStringLower(Derive("id", externalId, 0)[..16]);
            auth = Derive("auth", externalId, 0)[..16];
            key = DeterministicKey(externalId);
        }

        byte[] publicKey, privateScalar;
        using (key)
        {
            var parameters = key.ExportParameters(includePrivateParameters: true);
            publicKey = [0x04, .. parameters.Q.X!, .. parameters.Q.Y!];
            privateScalar = parameters.D!;
        }

        var subscription = new FakeSubscription(id, externalId, $"{Origin}/push/{id}", Base64Url.EncodeToString(publicKey),
            Base64Url.EncodeToString(auth), applicationServerKey?.TrimEnd('='));
        var added = _subscriptions.GetOrAdd(id, _ => new Subscription(subscription, privateScalar, publicKey, auth));
        return added.Info;
    }

    public SimEndpoint EndpointFor(string externalId)
    {
        var s = Subscribe(externalId);
        return new SimEndpoint(ChannelName, s.Endpoint, null, new Dictionary<string, string> { ["p256dh"] = s.P256dh, ["auth"] = s.Auth });
    }

    /// <summary>The browser unsubscribed: further pushes get 410 Gone.</summary>
    public void Unsubscribe(string subscriptionId) => _subscriptions[subscriptionId].Gone = true;

    /// <summary>Answer the next <paramref name="times"/> pushes to one subscription (or to all, when null) with
    /// <paramref name="status"/> and, if given, <c>Retry-After</c> in whole seconds.</summary>
    public void Script(string? subscriptionId, int status, TimeSpan? retryAfter = null, int times = int.MaxValue) =>
        _scripts[subscriptionId ?? ""] = new ScriptedFailure(status, retryAfter, times);

    public void ClearScripts() => _scripts.Clear();

    /// <summary>What the subscription's browser would still receive when it comes online: one message per
    /// topic (the newest), plus every message without a topic.</summary>
    public IReadOnlyList<PushedMessage> Inbox(string subscriptionId) =>
        _subscriptions.TryGetValue(subscriptionId, out var s) ? s.InboxSnapshot() : [];

    public async Task<IReadOnlyList<PushedMessage>> WaitForAsync(Func<IReadOnlyList<PushedMessage>, bool> done, TimeSpan timeout)
    {
        var deadline = _time.GetUtcNow() + timeout;
        while (true)
        {
            var snapshot = Messages;
            if (done(snapshot))
            {
                return snapshot;
            }

            if (_time.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"fake push service: condition not met within {timeout}; {snapshot.Count} messages, last rejection: {LastRejection}");
            }

            await Task.Delay(20);
        }
    }

    private async Task<IResult> HandlePushAsync(string id, HttpContext context)
    {
        var arrived = _time.GetTimestamp();
        if (!_subscriptions.TryGetValue(id, out var subscription))
        {
            return TypedResults.NotFound();
        }

        if (subscription.Gone)
        {
            return TypedResults.StatusCode(StatusCodes.Status410Gone);
        }

        if (TakeScript(id) is { } script)
        {
            if (script.RetryAfter is { } after)
            {
                context.Response.Headers.RetryAfter = ((long)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            return TypedResults.StatusCode(script.Status);
        }

        var request = context.Request;
        if (_vapid!.Check(request.Headers.Authorization, out var key) is { } vapidError)
        {
            return Refuse(StatusCodes.Status401Unauthorized, vapidError);
        }

        if (subscription.Info.ApplicationServerKey is { } expected && key != expected)
        {
            return Refuse(StatusCodes.Status403Forbidden, "VAPID key differs from the subscription's applicationServerKey");
        }

        if (!long.TryParse(request.Headers["TTL"], NumberStyles.None, CultureInfo.InvariantCulture, out var ttl))
        {
            return Refuse(StatusCodes.Status400BadRequest, "TTL header missing or invalid");
        }

        string? urgency = request.Headers["Urgency"];
        if (urgency is not null && !Urgencies.Contains(urgency))
        {
            return Refuse(StatusCodes.Status400BadRequest, "Urgency must be very-low, low, normal or high");
        }

        string? topic = request.Headers["Topic"];
        if (topic is not null && (topic.Length is 0 or > 32 || !topic.All(IsBase64UrlChar)))
        {
            return Refuse(StatusCodes.Status400BadRequest, "Topic must be at most 32 base64url characters");
        }

        if (!string.Equals(request.Headers.ContentEncoding, "aes128gcm", StringComparison.OrdinalIgnoreCase))
        {
            return Refuse(StatusCodes.Status400BadRequest, "Content-Encoding must be aes128gcm");
        }

        var body = await LoopbackApp.ReadBodyAsync(request, MaxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return Refuse(StatusCodes.Status413PayloadTooLarge, "payload larger than 4096 bytes");
        }

        byte[] plaintext;
        try
        {
            plaintext = subscription.Decrypt(body);
        }
        catch (CryptographicException e)
        {
            return Refuse(StatusCodes.Status400BadRequest, "cannot decrypt: " + e.Message);
        }

        var text = Encoding.UTF8.GetString(plaintext);
        var message = new PushedMessage(id, subscription.Info.ExternalId, text, ttl, urgency, topic, key!, _time.GetUtcNow());
        _messages.Enqueue(message);
        subscription.Deliver(message);
        if (TryReadPayload(plaintext, out var alertId, out var version, out var deliveryId))
        {
            _log.Add(new Receipt(subscription.Info.ExternalId ?? id, ChannelName, alertId, version, arrived, deliveryId));
        }
        else
        {
            _log.MalformedPayload();
        }

        context.Response.Headers["TTL"] = ttl.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Created($"{Origin}/m/{Guid.NewGuid():N}");
    }

    // RFC 8030 §5.4: the URL- and filename-safe base64 alphabet; any length up to 32, not necessarily decodable.
    private static bool IsBase64UrlChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private IResult Refuse(int status, string why)
    {
        Interlocked.Increment(ref _rejected);
        LastRejection = $"{status}: {why}";
        return TypedResults.Problem(why, statusCode: status);
    }

    private ScriptedFailure? TakeScript(string id)
    {
        foreach (var key in (ReadOnlySpan<string>)[id, ""])
        {
            while (_scripts.TryGetValue(key, out var script))
            {
                if (script.Remaining <= 0)
                {
                    _scripts.TryRemove(new KeyValuePair<string, ScriptedFailure>(key, script));
                    break;
                }

                if (_scripts.TryUpdate(key, script with { Remaining = script.Remaining == int.MaxValue ? int.MaxValue : script.Remaining - 1 }, script))
                {
                    return script;
                }
            }
        }

        return null;
    }

    private static bool TryReadPayload(byte[] plaintext, out string alertId, out int version, out string? deliveryId)
    {
        deliveryId = null;
        try
        {
            using var doc = JsonDocument.Parse(plaintext);
            if (!AlertPayload.TryReadAlert(doc.RootElement, out alertId, out version))
            {
                return false;
            }

            deliveryId = doc.RootElement.TryGetProperty("idempotencyKey", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
            return true;
        }
        catch (JsonException)
        {
            alertId = "";
            version = 0;
            return false;
        }
    }

    private byte[] Derive(string purpose, string externalId, int counter) =>
        HMACSHA256.HashData(_seed, Encoding.UTF8.GetBytes($"{purpose}:{counter}:{externalId}"));

    private ECDiffieHellman DeterministicKey(string externalId)
    {
        // A scalar from HMAC is a valid P-256 private key unless it is ≥ n (chance ~2^-32); then try the next counter.
        for (var counter = 0; ; counter++)
        {
            try
            {
                return ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Derive("ua", externalId, counter) });
            }
            catch (CryptographicException) when (counter < 8)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAndDisposeAsync();
            _app = null;
        }
    }

    private sealed record SubscribeRequest(string? ExternalId, string? ApplicationServerKey);

    private sealed record ScriptedFailure(int Status, TimeSpan? RetryAfter, int Remaining);

    private sealed class Subscription(FakeSubscription info, byte[] privateScalar, byte[] publicKey, byte[] auth)
    {
        private readonly Lock _lock = new();
        private readonly List<PushedMessage> _inbox = [];

        public FakeSubscription Info { get; } = info;

        public volatile bool Gone;

        public byte[] Decrypt(byte[] body) => PushDecryptor.Decrypt(body, privateScalar, publicKey, auth);

        public void Deliver(PushedMessage message)
        {
            lock (_lock)
            {
                if (message.Topic is not null)
                {
                    _inbox.RemoveAll(m => m.Topic == message.Topic);
                }

                _inbox.Add(message);
            }
        }

        public IReadOnlyList<PushedMessage> InboxSnapshot()
        {
            lock (_lock)
            {
                return [.. _inbox];
            }
        }
    }
}
