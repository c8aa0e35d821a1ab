using System.Collections.Concurrent;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.MobileSim.Report;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AlertHub.MobileSim.Peers.Line;

/// <summary>One message object that reached one LINE user.</summary>
/// <param name="AlertId">From the request's <c>customAggregationUnits</c>, when the hub sent one.</param>
internal sealed record LineDelivery(
    string UserId, string Endpoint, string RequestId, string? RetryKey, JsonElement Message, string? AlertId, int? Version, DateTimeOffset ReceivedAt)
{
    public string Type => Message.GetProperty("type").GetString()!;

    /// <summary>The text of a text message, or the altText of a flex message.</summary>
    public string Text => Type == "flex" ? Message.GetProperty("altText").GetString()! : Message.GetProperty("text").GetString()!;
}

/// <summary>Every request the fake answered, accepted or not.</summary>
internal sealed record LineRequestRecord(string Endpoint, int Status, string RequestId, string? RetryKey, int Recipients, DateTimeOffset At);

/// <summary>
/// A LINE Messaging API stand-in on 127.0.0.1 following the published contract (see the LINE section of the
/// channel reference): <c>POST /v2/bot/message/push|multicast|broadcast|narrowcast</c>, Bearer check (401),
/// request validation (≤ 500 multicast user ids, 1–5 messages, text ≤ 5,000 UTF-16 units, altText ≤ 400 → 400
/// "The request body has N error(s)" with details), <c>X-Line-Retry-Key</c> (an accepted key answers 409 with
/// <c>X-Line-Accepted-Request-Id</c> for 24 h and delivers nothing), <c>X-Line-Request-Id</c> on every answer,
/// per-endpoint token buckets (429 "Too Many Requests", no Retry-After), and scripted failures. Multicast and
/// broadcast silently skip unknown and blocked users, as LINE does; push answers 400 "Failed to send messages"
/// for an unknown user id and a silent 200 for a blocked one. It can also send signed webhooks to the hub.
/// </summary>
internal sealed class FakeLine : IProviderPeer
{
    public const string PushEndpoint = "push";
    public const string MulticastEndpoint = "multicast";
    public const string BroadcastEndpoint = "broadcast";
    public const string NarrowcastEndpoint = "narrowcast";

    private const int MaxBodyBytes = 2 * 1024 * 1024;
    private const string Base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly FakeLineOptions _options;
    private readonly ReceiptLog _log;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Friend> _friends = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AcceptedKey> _retryKeys = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<LineDelivery> _deliveries = new();
    private readonly ConcurrentQueue<LineRequestRecord> _requests = new();
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _awaitingAnswer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TokenBucket> _buckets;
    private readonly List<ScriptedFailure> _scripts = [];
    private readonly Lock _scriptLock = new();
    private HttpClient? _webhookClient;
    private Uri? _webhookUrl;
    private bool _ownsWebhookClient;
    private long _messageIds = 100_000_000_000_000;
    private WebApplication? _app;

    public FakeLine(ReceiptLog log, FakeLineOptions? options = null, TimeProvider? time = null)
    {
        _log = log;
        _options = options ?? new FakeLineOptions();
        _time = time ?? TimeProvider.System;
        _buckets = new()
        {
            [MulticastEndpoint] = new TokenBucket(_options.MulticastPerSecond, _options.MulticastPerSecond, _time),
            [PushEndpoint] = new TokenBucket(_options.PushPerSecond, _options.PushPerSecond, _time),
            [BroadcastEndpoint] = new TokenBucket(_options.BroadcastPerHour, _options.BroadcastPerHour / 3600, _time),
            [NarrowcastEndpoint] = new TokenBucket(_options.BroadcastPerHour, _options.BroadcastPerHour / 3600, _time),
        };
    }

    public string Channel => "line";

    /// <summary>e.g. <c>http://127.0.0.1:5092</c>; valid after <see cref="StartAsync"/>.</summary>
    public string BaseUrl { get; private set; } = "";

    public FakeLineOptions Options => _options;

    public IReadOnlyDictionary<string, string?> HubSettings => new Dictionary<string, string?>
    {
        ["Channels:Line:Enabled"] = "true",
        ["Channels:Line:BaseUrl"] = BaseUrl,
        ["Channels:Line:ChannelAccessToken"] = _options.AccessToken,
        ["Channels:Line:ChannelSecret"] = _options.ChannelSecret,
        // The unit carries the alert id and version, which is how receipts are attributed.
        ["Channels:Line:AggregationUnits"] = "true",
    };

    /// <summary>Every message object delivered, in arrival order.</summary>
    public IReadOnlyList<LineDelivery> Deliveries => [.. _deliveries];

    /// <summary>Every request answered, in order.</summary>
    public IReadOnlyList<LineRequestRecord> Requests => [.. _requests];

    public int DeliveryCount => _deliveries.Count;

    /// <summary>With <see cref="FakeLineOptions.AnswerDelay"/>: the recipients of requests delivered and not yet answered.</summary>
    public IReadOnlyList<string> AwaitingAnswer() => [.. _awaitingAnswer.Values.SelectMany(r => r)];

    public IReadOnlyList<LineDelivery> DeliveriesTo(string userId) => [.. _deliveries.Where(d => d.UserId == userId)];

    /// <summary>The deterministic LINE user id of a simulated resident: U + 32 hex digits of SHA-256("line:" + externalId).</summary>
    public static string UserIdFor(string externalId) =>
        "U" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("line:" + externalId)).AsSpan(0, 16));

    public SimEndpoint EndpointFor(string externalId)
    {
        var userId = UserIdFor(externalId);
        AddFriend(userId, externalId);
        return new SimEndpoint(Channel, userId);
    }

    /// <summary>Makes the user a (non-blocking) friend of the official account.</summary>
    public void AddFriend(string userId, string? externalId = null) =>
        _friends.AddOrUpdate(userId, _ => new Friend(externalId ?? userId, false), (_, f) => f with { Blocked = false, ExternalId = externalId ?? f.ExternalId });

    /// <summary>The user blocked the account: LINE then drops messages to them without an error.</summary>
    public void Block(string userId) => _friends.AddOrUpdate(userId, _ => new Friend(userId, true), (_, f) => f with { Blocked = true });

    /// <summary>The next <paramref name="times"/> matching requests fail with <paramref name="status"/>. With a user id,
    /// only requests addressing that user match. With <paramref name="afterAccept"/> the request is delivered and its
    /// retry key accepted first (a lost response), so a retry with the same key must get 409.</summary>
    public void Fail(int status, int times = 1, string? userId = null, bool afterAccept = false, string? message = null)
    {
        lock (_scriptLock)
        {
            _scripts.Add(new ScriptedFailure(status, times, null, userId, afterAccept, message));
        }
    }

    /// <summary>Every request fails with <paramref name="status"/> for <paramref name="duration"/>.</summary>
    public void FailFor(int status, TimeSpan duration, string? message = null)
    {
        lock (_scriptLock)
        {
            _scripts.Add(new ScriptedFailure(status, int.MaxValue, _time.GetUtcNow() + duration, null, false, message));
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeLine).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, _options.Port);
            k.Limits.MaxRequestBodySize = null; // 413 is answered in LINE's format below
        });

        var app = builder.Build();
        app.MapPost("/v2/bot/message/{endpoint}", (string endpoint, HttpContext context) => HandleAsync(endpoint, context));
        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel did not report the address it bound.");
        BaseUrl = address.TrimEnd('/');
    }

    // ---------------------------------------------------------------- send API

    private async Task HandleAsync(string endpoint, HttpContext context)
    {
        var arrived = _time.GetTimestamp();
        var requestId = Guid.NewGuid().ToString();
        var response = context.Response;
        response.Headers["X-Line-Request-Id"] = requestId;
        string? retryKey = context.Request.Headers["X-Line-Retry-Key"];
        var status = await AnswerAsync(endpoint, context, requestId, retryKey, arrived);
        _requests.Enqueue(new LineRequestRecord(endpoint, status.Status, requestId, retryKey, status.Recipients, _time.GetUtcNow()));
    }

    private async Task<(int Status, int Recipients)> AnswerAsync(string endpoint, HttpContext context, string requestId, string? retryKey, long arrived)
    {
        if (!_buckets.TryGetValue(endpoint, out var bucket))
        {
            return (await ErrorAsync(context, 404, "Not found"), 0);
        }

        string? authorization = context.Request.Headers.Authorization;
        if (string.IsNullOrEmpty(authorization))
        {
            return (await ErrorAsync(context, 401, "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"), 0);
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization), Encoding.UTF8.GetBytes("Bearer " + _options.AccessToken)))
        {
            return (await ErrorAsync(context, 401, "Authentication failed. Confirm that the access token in the authorization header is valid."), 0);
        }

        // Retried requests still spend rate limit, so the bucket is checked before anything else.
        if (!bucket.TryTake())
        {
            return (await ErrorAsync(context, 429, "Too Many Requests"), 0);
        }

        var body = await LoopbackApp.ReadBodyAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return (await ErrorAsync(context, 413, "Request Entity Too Large"), 0);
        }

        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(body);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return (await ErrorAsync(context, 400, $"The request body could not be parsed as JSON (line: {e.LineNumber}, column: {e.BytePositionInLine})"), 0);
        }

        var errors = Validate(endpoint, root, out var invalidProperty);
        if (invalidProperty is not null)
        {
            return (await ErrorAsync(context, 400, $"The property, '{invalidProperty}', in the request body is invalid (line: -, column: -)"), 0);
        }

        if (errors.Count > 0)
        {
            return (await ErrorAsync(context, 400, $"The request body has {errors.Count} error(s)", errors), 0);
        }

        if (retryKey is not null && !Guid.TryParseExact(retryKey, "D", out _))
        {
            return (await ErrorAsync(context, 400, "The value of the X-Line-Retry-Key header is invalid"), 0);
        }

        var recipients = Recipients(endpoint, root);
        if (endpoint == PushEndpoint && !IsFriend(recipients[0], includeBlocked: true))
        {
            return (await ErrorAsync(context, 400, "Failed to send messages"), 0);
        }

        var script = TakeScript(recipients, afterAccept: false);
        if (script is not null)
        {
            return (await ErrorAsync(context, script.Status, script.Message ?? DefaultMessage(script.Status)), 0);
        }

        if (retryKey is not null)
        {
            var now = _time.GetUtcNow();
            var mine = new AcceptedKey(requestId, now, endpoint == PushEndpoint ? SentMessages(root) : null);
            var accepted = _retryKeys.AddOrUpdate(retryKey, mine, (_, old) => now - old.At >= _options.RetryKeyLifetime ? mine : old);
            if (!ReferenceEquals(accepted, mine))
            {
                context.Response.Headers["X-Line-Accepted-Request-Id"] = accepted.RequestId;
                var conflict = new JsonObject { ["message"] = "The retry key is already accepted" };
                if (accepted.SentMessages is not null)
                {
                    conflict["sentMessages"] = accepted.SentMessages.DeepClone();
                }

                return (await JsonAsync(context, 409, conflict), 0);
            }
        }

        var delivered = Deliver(endpoint, root, recipients, requestId, retryKey, arrived);
        if (_options.AnswerDelay > TimeSpan.Zero)
        {
            _awaitingAnswer[requestId] = recipients;
            try
            {
                await Task.Delay(_options.AnswerDelay, _time, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return (499, delivered); // the sender went away before its answer: delivered all the same
            }
            finally
            {
                _awaitingAnswer.TryRemove(requestId, out _);
            }
        }

        var lost = TakeScript(recipients, afterAccept: true);
        if (lost is not null)
        {
            return (await ErrorAsync(context, lost.Status, lost.Message ?? DefaultMessage(lost.Status)), delivered);
        }

        if (endpoint == PushEndpoint)
        {
            var sent = _retryKeys.TryGetValue(retryKey ?? "", out var key) && key.RequestId == requestId ? key.SentMessages! : SentMessages(root);
            return (await JsonAsync(context, 200, new JsonObject { ["sentMessages"] = sent.DeepClone() }), delivered);
        }

        return (await JsonAsync(context, endpoint == NarrowcastEndpoint ? 202 : 200, new JsonObject()), delivered);
    }

    private List<JsonObject> Validate(string endpoint, JsonElement root, out string? invalidProperty)
    {
        invalidProperty = null;
        var errors = new List<JsonObject>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(Detail("must be an object", ""));
            return errors;
        }

        if (endpoint == PushEndpoint)
        {
            if (!root.TryGetProperty("to", out var to) || to.ValueKind != JsonValueKind.String)
            {
                errors.Add(Detail("must be specified", "to"));
            }
            else if (!IsChatId(to.GetString()!))
            {
                invalidProperty = "to";
                return errors;
            }
        }
        else if (endpoint == MulticastEndpoint)
        {
            if (!root.TryGetProperty("to", out var to) || to.ValueKind != JsonValueKind.Array)
            {
                errors.Add(Detail("must be specified", "to"));
            }
            else if (to.GetArrayLength() is < 1 or > 500)
            {
                errors.Add(Detail("Size must be between 1 and 500", "to"));
            }
            else
            {
                var i = 0;
                foreach (var id in to.EnumerateArray())
                {
                    if (id.ValueKind != JsonValueKind.String || !IsUserId(id.GetString()!))
                    {
                        errors.Add(Detail("Invalid user ID", $"to[{i}]"));
                    }

                    i++;
                }
            }
        }

        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            errors.Add(Detail("must be specified", "messages"));
        }
        else if (messages.GetArrayLength() is < 1 or > 5)
        {
            errors.Add(Detail("Size must be between 1 and 5", "messages"));
        }
        else
        {
            var i = 0;
            foreach (var m in messages.EnumerateArray())
            {
                ValidateMessage(m, $"messages[{i++}]", errors);
            }
        }

        if (root.TryGetProperty("customAggregationUnits", out var units))
        {
            if (endpoint is not (PushEndpoint or MulticastEndpoint))
            {
                errors.Add(Detail("unknown property", "customAggregationUnits"));
            }
            else if (units.ValueKind != JsonValueKind.Array || units.GetArrayLength() > 1)
            {
                errors.Add(Detail("Size must be between 0 and 1", "customAggregationUnits"));
            }
            else if (units.GetArrayLength() == 1 && !IsUnitName(units[0]))
            {
                errors.Add(Detail("must match \"^[a-zA-Z0-9_]{1,30}$\"", "customAggregationUnits[0]"));
            }
        }

        return errors;
    }

    private static void ValidateMessage(JsonElement m, string path, List<JsonObject> errors)
    {
        if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            errors.Add(Detail("must be specified", path + ".type"));
            return;
        }

        switch (type.GetString())
        {
            case "text":
                // LINE counts UTF-16 code units, so string.Length is the right measure.
                if (!m.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String || text.GetString()!.Length == 0)
                {
                    errors.Add(Detail("must be specified", path + ".text"));
                }
                else if (text.GetString()!.Length > 5000)
                {
                    errors.Add(Detail("Length must be between 0 and 5000", path + ".text"));
                }

                break;
            case "flex":
                if (!m.TryGetProperty("altText", out var alt) || alt.ValueKind != JsonValueKind.String || alt.GetString()!.Length == 0)
                {
                    errors.Add(Detail("must be specified", path + ".altText"));
                }
                else if (alt.GetString()!.Length > 400)
                {
                    errors.Add(Detail("Length must be between 0 and 400", path + ".altText"));
                }

                if (!m.TryGetProperty("contents", out var contents) || contents.ValueKind != JsonValueKind.Object
                    || !contents.TryGetProperty("type", out var ct) || ct.GetString() is not ("bubble" or "carousel"))
                {
                    errors.Add(Detail("must be specified", path + ".contents"));
                }
                else if (ct.GetString() == "carousel" && (!contents.TryGetProperty("contents", out var bubbles) || bubbles.GetArrayLength() is < 1 or > 12))
                {
                    errors.Add(Detail("Size must be between 1 and 12", path + ".contents.contents"));
                }

                break;
        }
    }

    private List<string> Recipients(string endpoint, JsonElement root) => endpoint switch
    {
        PushEndpoint => [root.GetProperty("to").GetString()!],
        MulticastEndpoint => [.. root.GetProperty("to").EnumerateArray().Select(e => e.GetString()!).Distinct(StringComparer.Ordinal)],
        // The fake treats any narrowcast audience as everyone; LINE resolves it asynchronously.
        _ => [.. _friends.Where(f => !f.Value.Blocked).Select(f => f.Key)],
    };

    private int Deliver(string endpoint, JsonElement root, List<string> recipients, string requestId, string? retryKey, long arrived)
    {
        var at = _time.GetUtcNow();
        string? alertId = null;
        int? version = null;
        if (root.TryGetProperty("customAggregationUnits", out var units) && units.GetArrayLength() == 1
            && TryDecodeUnit(units[0].GetString()!, out var id, out var v))
        {
            alertId = id;
            version = v;
        }

        var messages = root.GetProperty("messages").EnumerateArray().ToList();
        var count = 0;
        foreach (var userId in recipients)
        {
            // LINE drops messages to users who blocked the account or never added it, without telling the sender.
            if (!IsFriend(userId, includeBlocked: false))
            {
                continue;
            }

            foreach (var message in messages)
            {
                _deliveries.Enqueue(new LineDelivery(userId, endpoint, requestId, retryKey, message, alertId, version, at));
            }

            if (alertId is null)
            {
                _log.MalformedPayload();
            }
            else
            {
                _log.Add(new Receipt(_friends.TryGetValue(userId, out var f) ? f.ExternalId : userId, Channel, alertId, version!.Value, arrived, retryKey));
            }

            count++;
        }

        return count;
    }

    private ScriptedFailure? TakeScript(List<string> recipients, bool afterAccept)
    {
        lock (_scriptLock)
        {
            var now = _time.GetUtcNow();
            _scripts.RemoveAll(s => s.Until is { } until && until <= now);
            for (var i = 0; i < _scripts.Count; i++)
            {
                var s = _scripts[i];
                if (s.AfterAccept != afterAccept || (s.UserId is not null && !recipients.Contains(s.UserId)))
                {
                    continue;
                }

                if (s.Until is null)
                {
                    _scripts[i] = s with { Times = s.Times - 1 };
                    if (s.Times <= 1)
                    {
                        _scripts.RemoveAt(i);
                    }
                }

                return s;
            }

            return null;
        }
    }

    private JsonArray SentMessages(JsonElement root) =>
        [.. root.GetProperty("messages").EnumerateArray().Select(_ => (JsonNode)new JsonObject
        {
            ["id"] = Interlocked.Increment(ref _messageIds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["quoteToken"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)),
        })];

    private bool IsFriend(string userId, bool includeBlocked) =>
        _friends.TryGetValue(userId, out var f) ? includeBlocked || !f.Blocked : _options.AcceptUnknownUsers && IsUserId(userId);

    // ---------------------------------------------------------------- webhooks

    /// <summary>Where <see cref="SendWebhookAsync"/> posts: a client (e.g. WebApplicationFactory's) and the URL.</summary>
    public void UseWebhook(HttpClient client, string url)
    {
        _webhookClient = client;
        _webhookUrl = new Uri(url, UriKind.RelativeOrAbsolute);
        _ownsWebhookClient = false;
    }

    /// <summary>Posts webhooks to an absolute URL with the fake's own HttpClient.</summary>
    public void UseWebhook(string absoluteUrl)
    {
        _webhookClient = new HttpClient();
        _webhookUrl = new Uri(absoluteUrl, UriKind.Absolute);
        _ownsWebhookClient = true;
    }

    public static string Sign(string channelSecret, ReadOnlySpan<byte> body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(channelSecret), body));

    /// <summary>A webhook event as LINE sends it, with a fresh ULID-like <c>webhookEventId</c>.</summary>
    public JsonObject Event(string type, string userId, JsonObject? extra = null)
    {
        var e = new JsonObject
        {
            ["type"] = type,
            ["mode"] = "active",
            ["timestamp"] = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            ["source"] = new JsonObject { ["type"] = "user", ["userId"] = userId },
            ["webhookEventId"] = NewEventId(),
            ["deliveryContext"] = new JsonObject { ["isRedelivery"] = false },
        };
        if (type is "follow" or "postback" or "message")
        {
            e["replyToken"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        }

        foreach (var (key, value) in extra ?? [])
        {
            e[key] = value?.DeepClone();
        }

        return e;
    }

    public byte[] WebhookBody(params JsonObject[] events) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["destination"] = _options.BotUserId, ["events"] = new JsonArray([.. events]) });

    /// <summary>Posts a body with the given signature header (null: none) to the hub.</summary>
    public async Task<HttpResponseMessage> PostWebhookAsync(byte[] body, string? signature)
    {
        if (_webhookClient is null || _webhookUrl is null)
        {
            throw new InvalidOperationException("Call UseWebhook first.");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, _webhookUrl) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Line-Signature", signature);
        }

        return await _webhookClient.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendWebhookAsync(params JsonObject[] events)
    {
        var body = WebhookBody(events);
        return PostWebhookAsync(body, Sign(_options.ChannelSecret, body));
    }

    /// <summary>The user adds the account as a friend (or unblocks it).</summary>
    public Task<HttpResponseMessage> FollowAsync(string userId, string? externalId = null)
    {
        AddFriend(userId, externalId);
        return SendWebhookAsync(Event("follow", userId, new JsonObject { ["follow"] = new JsonObject { ["isUnblocked"] = false } }));
    }

    /// <summary>The user blocks the account.</summary>
    public Task<HttpResponseMessage> UnfollowAsync(string userId)
    {
        Block(userId);
        return SendWebhookAsync(Event("unfollow", userId));
    }

    public Task<HttpResponseMessage> PostbackAsync(string userId, string data) =>
        SendWebhookAsync(Event("postback", userId, new JsonObject { ["postback"] = new JsonObject { ["data"] = data } }));

    public Task<HttpResponseMessage> TextMessageAsync(string userId, string text) =>
        SendWebhookAsync(Event("message", userId, new JsonObject
        {
            ["message"] = new JsonObject { ["type"] = "text", ["id"] = NewEventId(), ["quoteToken"] = NewEventId(), ["text"] = text },
        }));

    // ---------------------------------------------------------------- helpers

    /// <summary>Reverses the hub's aggregation unit: 22 base62 characters of the alert id, '_', version.</summary>
    public static bool TryDecodeUnit(string unit, out string alertId, out int version)
    {
        alertId = "";
        version = 0;
        var sep = unit.IndexOf('_', StringComparison.Ordinal);
        if (sep != 22 || !int.TryParse(unit.AsSpan(sep + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version))
        {
            return false;
        }

        var n = BigInteger.Zero;
        foreach (var c in unit.AsSpan(0, sep))
        {
            var digit = Base62Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0)
            {
                return false;
            }

            n = (n * 62) + digit;
        }

        var bytes = n.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (bytes.Length > 16)
        {
            return false;
        }

        var padded = new byte[16];
        bytes.CopyTo(padded, 16 - bytes.Length);
        alertId = new Guid(padded, bigEndian: true).ToString("N");
        return true;
    }

    public static bool IsUserId(string id) => id.Length == 33 && id[0] == 'U' && id.AsSpan(1).ContainsOnlyLowerHex();

    private static bool IsChatId(string id) => id.Length == 33 && id[0] is 'U' or 'C' or 'R' && id.AsSpan(1).ContainsOnlyLowerHex();

    private static bool IsUnitName(JsonElement e) =>
        e.ValueKind == JsonValueKind.String && e.GetString() is { Length: >= 1 and <= 30 } s && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static string NewEventId()
    {
        const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        Span<char> chars = stackalloc char[26];
        var random = RandomNumberGenerator.GetBytes(26);
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Crockford[random[i] & 31];
        }

        return new string(chars);
    }

    private static JsonObject Detail(string message, string property) => new() { ["message"] = message, ["property"] = property };

    private static string DefaultMessage(int status) => status switch
    {
        429 => "Too Many Requests",
        400 => "The request body has 1 error(s)",
        401 => "Authentication failed. Confirm that the access token in the authorization header is valid.",
        403 => "Access to this API is not available for your account",
        >= 500 => "Internal Server Error",
        _ => "Error",
    };

    private static Task<int> ErrorAsync(HttpContext context, int status, string message, List<JsonObject>? details = null)
    {
        var body = new JsonObject { ["message"] = message };
        if (details is { Count: > 0 })
        {
            body["details"] = new JsonArray([.. details]);
        }

        return JsonAsync(context, status, body);
    }

    private static async Task<int> JsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body));
        return status;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAndDisposeAsync();
            _app = null;
        }

        if (_ownsWebhookClient)
        {
            _webhookClient?.Dispose();
        }
    }

    private sealed record Friend(string ExternalId, bool Blocked);

    private sealed record AcceptedKey(string RequestId, DateTimeOffset At, JsonArray? SentMessages);

    private sealed record ScriptedFailure(int Status, int Times, DateTimeOffset? Until, string? UserId, bool AfterAccept, string? Message);

    /// <summary>LINE's rate limit: a token bucket per endpoint holding <c>capacity</c>, refilled continuously.</summary>
    private sealed class TokenBucket(double capacity, double perSecond, TimeProvider time)
    {
        private readonly Lock _lock = new();
        private readonly double _capacity = capacity;
        private double _tokens = capacity;
        private long _last = time.GetTimestamp();

        public bool TryTake()
        {
            lock (_lock)
            {
                var now = time.GetTimestamp();
                _tokens = Math.Min(_capacity, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * perSecond));
                _last = now;
                if (_tokens < 1)
                {
                    return false;
                }

                _tokens--;
                return true;
            }
        }
    }
}

internal static class HexSpanExtensions
{
    public static bool ContainsOnlyLowerHex(this ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}
