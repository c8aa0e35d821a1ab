using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlertHub.MobileSim.Report;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AlertHub.MobileSim.Peers.Fcm;

/// <summary>Failures the fake can be told to answer with, each with FCM's published status and error body.</summary>
internal enum FcmFault
{
    /// <summary>404 NOT_FOUND / UNREGISTERED.</summary>
    Unregistered,
    /// <summary>403 PERMISSION_DENIED / SENDER_ID_MISMATCH.</summary>
    SenderIdMismatch,
    /// <summary>400 INVALID_ARGUMENT on <c>message.token</c>.</summary>
    InvalidToken,
    /// <summary>400 INVALID_ARGUMENT on another field.</summary>
    InvalidArgument,
    /// <summary>429 RESOURCE_EXHAUSTED / QUOTA_EXCEEDED.</summary>
    QuotaExceeded,
    /// <summary>503 UNAVAILABLE.</summary>
    Unavailable,
    /// <summary>500 INTERNAL.</summary>
    Internal,
    /// <summary>401 UNAUTHENTICATED / THIRD_PARTY_AUTH_ERROR (APNs or Web Push credentials).</summary>
    ThirdPartyAuth,
}

/// <summary>Settings of a <see cref="FakeFcm"/>.</summary>
internal sealed class FakeFcmOptions
{
    /// <summary>The Firebase project the fake serves. Default "alerthub-sim".</summary>
    public string ProjectId { get; set; } = "alerthub-sim";

    /// <summary>The service account it accepts as JWT <c>iss</c>.</summary>
    public string ServiceAccountEmail { get; set; } = "alerthub-push@alerthub-sim.iam.gserviceaccount.com";

    /// <summary>Port on 127.0.0.1: 0 (ephemeral) in tests, <see cref="FakeFcm.DefaultLoadPort"/> for load runs.</summary>
    public int Port { get; set; }

    /// <summary>Speak only HTTP/2 in cleartext (h2c, prior knowledge) instead of HTTP/1.1. Default false.</summary>
    public bool Http2Only { get; set; }

    /// <summary>Lifetime of issued access tokens. Default 3599 s, as Google.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromSeconds(3599);

    /// <summary>Keep each accepted request body for <see cref="FakeFcm.Accepted"/>. Default true; turn off for big load runs.</summary>
    public bool KeepMessageBodies { get; set; } = true;
}

/// <summary>One message the fake accepted.</summary>
/// <param name="Timestamp">A <see cref="TimeProvider.GetTimestamp"/> value taken on arrival.</param>
internal sealed record FcmAcceptedMessage(string Name, string? Token, string? Topic, string? Condition, DateTimeOffset ReceivedAt, long Timestamp, byte[]? Body)
{
    /// <summary>The <c>message</c> object as sent (null when bodies are not kept).</summary>
    public JsonObject? Message => Body is null ? null : JsonNode.Parse(Body)!["message"]!.AsObject();
}

/// <summary>
/// Firebase Cloud Messaging HTTP v1 on 127.0.0.1, following the published contract: the OAuth2 JWT-bearer token
/// endpoint (<c>POST /token</c>, RS256 assertion checked against the key pair the fake made and hands the hub) and
/// <c>POST /v1/projects/{id}/messages:send</c> with Google's error bodies. Tokens come from a registry (unknown →
/// UNREGISTERED, another project's → SENDER_ID_MISMATCH); failures can be scripted per token or globally, for a number
/// of requests or a span of time; access tokens can be expired on demand.
/// </summary>
internal sealed partial class FakeFcm : IProviderPeer
{
    public const int DefaultLoadPort = 5091;
    public const string GoogleTokenAudience = "https://oauth2.googleapis.com/token";
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    public const int MaxPayloadBytes = 4096;
    public const int MaxTopicPayloadBytes = 2048;
    public const long MaxTtlSeconds = 2_419_200;

    private const string FcmErrorType = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
    private const string BadRequestType = "type.googleapis.com/google.rpc.BadRequest";
    private const int MaxBodyBytes = 64 * 1024;
    private const string UnauthenticatedMessage =
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

    private readonly FakeFcmOptions _options;
    private readonly ReceiptLog _log;
    private readonly TimeProvider _time;
    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, long> _accessTokens = new(StringComparer.Ordinal); // token → expiry (unix ms)
    private readonly ConcurrentDictionary<string, Device> _devices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FcmAcceptedMessage> _accepted = new();
    private readonly List<Rule> _rules = [];
    private readonly Lock _rulesGate = new();
    private WebApplication? _app;
    private long _messageCounter;
    private int _tokenRequests;
    private int _unauthenticated;
    private int _acceptedCount;

    public FakeFcm(ReceiptLog log, FakeFcmOptions? options = null, TimeProvider? time = null)
    {
        _log = log;
        _options = options ?? new FakeFcmOptions();
        _time = time ?? TimeProvider.System;
        PrivateKeyPem = _key.ExportPkcs8PrivateKeyPem();
    }

    public string Channel => "fcm";

    public string ProjectId => _options.ProjectId;

    public string ServiceAccountEmail => _options.ServiceAccountEmail;

    /// <summary>The service account's private key (PKCS#8 PEM) the hub signs its JWTs with.</summary>
    public string PrivateKeyPem { get; }

    /// <summary>e.g. http://127.0.0.1:5091; valid after <see cref="StartAsync"/>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The OAuth2 token endpoint: on <see cref="BaseUrl"/>, or on an HTTP/1.1 port of its own when <see cref="FakeFcmOptions.Http2Only"/>.</summary>
    public string TokenUrl { get; private set; } = "";

    public IReadOnlyDictionary<string, string?> HubSettings => new Dictionary<string, string?>
    {
        ["Channels:Fcm:Enabled"] = "true",
        ["Channels:Fcm:ProjectId"] = ProjectId,
        ["Channels:Fcm:ServiceAccountEmail"] = ServiceAccountEmail,
        ["Channels:Fcm:PrivateKeyPem"] = PrivateKeyPem,
        ["Channels:Fcm:TokenUrl"] = TokenUrl,
        ["Channels:Fcm:BaseUrl"] = BaseUrl,
        ["Channels:Fcm:HttpVersion"] = _options.Http2Only ? "2.0" : "1.1",
        ["Channels:Fcm:HttpVersionPolicy"] = _options.Http2Only ? "RequestVersionExact" : "RequestVersionOrLower",
    };

    /// <summary>Access tokens issued by <c>POST /token</c>.</summary>
    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>Send requests refused with 401 UNAUTHENTICATED (no or expired bearer token).</summary>
    public int UnauthenticatedRequests => Volatile.Read(ref _unauthenticated);

    public int AcceptedCount => Volatile.Read(ref _acceptedCount);

    public IReadOnlyList<FcmAcceptedMessage> Accepted => _accepted.ToArray();

    /// <summary>Accepted messages for one device token.</summary>
    public IReadOnlyList<FcmAcceptedMessage> AcceptedFor(string token) => [.. _accepted.Where(m => m.Token == token)];

    /// <summary>Authenticated send requests that named this token, whatever the answer.</summary>
    public int AttemptsFor(string token) => _attempts.GetValueOrDefault(token);

    public SimEndpoint EndpointFor(string externalId)
    {
        var token = DeviceToken(externalId);
        RegisterToken(token, externalId);
        return new SimEndpoint(Channel, token);
    }

    /// <summary>A deterministic, realistic-looking registration token (<c>instance:APA91b…</c>) for a simulated device.</summary>
    public static string DeviceToken(string externalId) =>
        B64Url(SHA256.HashData(Encoding.UTF8.GetBytes("fcm-instance:" + externalId)))[..22] + ":APA91b"
        + B64Url(SHA512.HashData(Encoding.UTF8.GetBytes("fcm-registration:" + externalId)));

    /// <summary>Makes a token known; with another <paramref name="projectId"/> it answers SENDER_ID_MISMATCH.</summary>
    public void RegisterToken(string token, string? externalId = null, string? projectId = null) =>
        _devices[token] = new Device(externalId ?? token, projectId ?? ProjectId);

    /// <summary>The app was uninstalled: the token now answers UNREGISTERED.</summary>
    public void UnregisterToken(string token) => _devices.TryRemove(token, out _);

    /// <summary>
    /// Answers sends with <paramref name="fault"/>: for one token or all (null), the next <paramref name="times"/> requests
    /// and/or for <paramref name="duration"/>, with Retry-After when given.
    /// </summary>
    public void Fail(FcmFault fault, string? token = null, int times = int.MaxValue, TimeSpan? duration = null, TimeSpan? retryAfter = null)
    {
        lock (_rulesGate)
        {
            _rules.Add(new Rule(fault, token, times, duration is { } d ? _time.GetUtcNow() + d : null, retryAfter));
        }
    }

    public void ClearFailures()
    {
        lock (_rulesGate)
        {
            _rules.Clear();
        }
    }

    /// <summary>Every access token issued so far now answers 401 UNAUTHENTICATED, as after expiry or revocation.</summary>
    public void ExpireAccessTokens()
    {
        foreach (var token in _accessTokens.Keys)
        {
            _accessTokens[token] = 0;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeFcm).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        ListenOptions? send = null, token = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, _options.Port, l =>
            {
                l.Protocols = _options.Http2Only ? HttpProtocols.Http2 : HttpProtocols.Http1;
                send = l;
            });
            if (_options.Http2Only)
            {
                // Token clients (Google.Apis.Auth) speak HTTP/1.1 without TLS; like oauth2.googleapis.com, the token
                // endpoint gets a host of its own.
                k.Listen(IPAddress.Loopback, 0, l =>
                {
                    l.Protocols = HttpProtocols.Http1;
                    token = l;
                });
            }
            k.Limits.MaxRequestBodySize = MaxBodyBytes;
            k.Limits.Http2.MaxStreamsPerConnection = 256;
        });

        var app = builder.Build();
        app.MapPost("/token", TokenAsync);
        app.MapPost("/v1/projects/{project}/messages:send", SendAsync);
        await app.StartAsync(cancellationToken);
        _app = app;
        // Kestrel writes the bound port back into each endpoint's ListenOptions.
        BaseUrl = $"http://127.0.0.1:{send!.IPEndPoint!.Port}";
        TokenUrl = $"http://127.0.0.1:{(token ?? send).IPEndPoint!.Port}/token";
    }

    private async Task<IResult> TokenAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            return OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded");
        }

        var form = await request.ReadFormAsync(cancellationToken);
        if (form["grant_type"] != JwtBearerGrant)
        {
            return OAuthError("unsupported_grant_type", "Invalid grant_type: " + form["grant_type"]);
        }

        var error = CheckAssertion(form["assertion"].ToString());
        if (error is not null)
        {
            return error;
        }

        var token = "ya29.fake-" + B64Url(RandomNumberGenerator.GetBytes(32));
        _accessTokens[token] = _time.GetUtcNow().Add(_options.AccessTokenLifetime).ToUnixTimeMilliseconds();
        Interlocked.Increment(ref _tokenRequests);
        return Results.Json(new Dictionary<string, object>
        {
            ["access_token"] = token,
            ["expires_in"] = (int)_options.AccessTokenLifetime.TotalSeconds,
            ["token_type"] = "Bearer",
        });
    }

    private IResult? CheckAssertion(string assertion)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            return OAuthError("invalid_grant", "Invalid JWT: malformed assertion");
        }

        JsonElement header, claims;
        try
        {
            header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
            claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return OAuthError("invalid_grant", "Invalid JWT: not base64url JSON");
        }

        if (Str(header, "alg") != "RS256")
        {
            return OAuthError("invalid_grant", "Invalid JWT: algorithm must be RS256");
        }

        byte[] signature;
        try
        {
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (FormatException)
        {
            return OAuthError("invalid_grant", "Invalid JWT Signature.");
        }

        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!_key.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return OAuthError("invalid_grant", "Invalid JWT Signature.");
        }

        if (Str(claims, "iss") != _options.ServiceAccountEmail)
        {
            return OAuthError("invalid_grant", "Invalid grant: account not found");
        }

        if (Str(claims, "aud") != GoogleTokenAudience)
        {
            return OAuthError("invalid_grant", "Invalid JWT: Failed audience check.");
        }

        var scopes = (Str(claims, "scope") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!scopes.Any(s => s is "https://www.googleapis.com/auth/firebase.messaging" or "https://www.googleapis.com/auth/cloud-platform"))
        {
            return OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.");
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (!claims.TryGetProperty("iat", out var iatElement) || !iatElement.TryGetInt64(out var iat)
            || !claims.TryGetProperty("exp", out var expElement) || !expElement.TryGetInt64(out var exp)
            || exp - iat > 3600 || exp <= iat || iat > now + 300 || exp < now - 300)
        {
            return OAuthError("invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
        }

        return null;
    }

    private async Task<IResult> SendAsync(string project, HttpContext context)
    {
        var arrived = _time.GetTimestamp();
        // Scripted faults are judged at arrival, like the receipt's timestamp: a request that arrived during an outage
        // is refused even if reading its body took until after the outage ended.
        var arrivedAt = _time.GetUtcNow();
        var auth = context.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal)
            || !_accessTokens.TryGetValue(auth[7..], out var expiresMs)
            || expiresMs <= _time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            Interlocked.Increment(ref _unauthenticated);
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"";
            return Error(401, UnauthenticatedMessage, "UNAUTHENTICATED", null);
        }

        if (project != _options.ProjectId)
        {
            return Error(403, $"Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/{project}' (or it may not exist).",
                "PERMISSION_DENIED", null);
        }

        var body = await LoopbackApp.ReadBodyAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return Error(413, "Request payload size exceeds the limit: 65536 bytes.", "INVALID_ARGUMENT", null);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return Error(400, "Invalid JSON payload received.", "INVALID_ARGUMENT", null);
        }

        using (doc)
        {
            var check = Validate(doc.RootElement, out var target, out var validateOnly);
            if (check is not null)
            {
                return check;
            }

            if (target.Token is { } token)
            {
                _attempts.AddOrUpdate(token, 1, static (_, n) => n + 1);
                if (Scripted(token, arrivedAt) is { } scripted)
                {
                    return scripted;
                }

                if (!_devices.TryGetValue(token, out var device))
                {
                    return Error(404, "Requested entity was not found.", "NOT_FOUND", "UNREGISTERED");
                }

                if (device.ProjectId != _options.ProjectId)
                {
                    return Error(403, "SenderId mismatch", "PERMISSION_DENIED", "SENDER_ID_MISMATCH");
                }
            }
            else if (Scripted(null, arrivedAt) is { } scripted)
            {
                return scripted;
            }

            var name = $"projects/{_options.ProjectId}/messages/0:{Interlocked.Increment(ref _messageCounter)}%{ProjectHash()}";
            if (!validateOnly)
            {
                Record(name, target, doc.RootElement.GetProperty("message"), body, arrived);
            }

            return Results.Json(new Dictionary<string, string> { ["name"] = name });
        }
    }

    private void Record(string name, Target target, JsonElement message, byte[] body, long arrived)
    {
        _accepted.Enqueue(new FcmAcceptedMessage(name, target.Token, target.Topic, target.Condition, _time.GetUtcNow(), arrived,
            _options.KeepMessageBodies ? body : null));
        Interlocked.Increment(ref _acceptedCount);
        if (target.Token is null || !message.TryGetProperty("data", out var data))
        {
            return;
        }

        var alertId = Str(data, "alertId");
        if (alertId is null || !int.TryParse(Str(data, "version"), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            _log.MalformedPayload();
            return;
        }

        var externalId = _devices.TryGetValue(target.Token, out var device) ? device.ExternalId : target.Token;
        _log.Add(new Receipt(externalId, Channel, alertId, version, arrived, Str(data, "idempotencyKey")));
    }

    private IResult? Validate(JsonElement root, out Target target, out bool validateOnly)
    {
        target = default;
        validateOnly = false;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Error(400, "Invalid JSON payload received. Expected an object.", "INVALID_ARGUMENT", null);
        }

        JsonElement message = default;
        foreach (var p in root.EnumerateObject())
        {
            switch (p.Name)
            {
                case "message" when p.Value.ValueKind == JsonValueKind.Object:
                    message = p.Value;
                    break;
                case "validate_only" or "validateOnly" when p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    validateOnly = p.Value.GetBoolean();
                    break;
                default:
                    return BadField(p.Name, $"Invalid JSON payload received. Unknown name \"{p.Name}\": Cannot find field.");
            }
        }

        if (message.ValueKind != JsonValueKind.Object)
        {
            return BadField("message", "Request contains an invalid argument.");
        }

        var token = Str(message, "token");
        var topic = Str(message, "topic");
        var condition = Str(message, "condition");
        var targets = (token is null ? 0 : 1) + (topic is null ? 0 : 1) + (condition is null ? 0 : 1);
        if (targets == 0)
        {
            return BadField("message", "Recipient of the message is not set.");
        }

        if (targets > 1)
        {
            return BadField("message", "Exactly one of token, topic or condition must be set.");
        }

        if (token is not null && !PlausibleToken(token))
        {
            return Error(400, "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.token");
        }

        if (topic is not null && !TopicPattern().IsMatch(topic))
        {
            return BadField("message.topic", "Invalid topic name.");
        }

        target = new Target(token, topic, condition);
        if (CheckData(message, "message.data") is { } dataError)
        {
            return dataError;
        }

        if (message.TryGetProperty("android", out var android))
        {
            if (android.ValueKind != JsonValueKind.Object)
            {
                return BadField("message.android", "Invalid value at 'message.android'.");
            }

            if (Str(android, "priority") is { } priority && priority is not ("NORMAL" or "HIGH" or "normal" or "high"))
            {
                return BadField("message.android.priority", $"Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), \"{priority}\"");
            }

            if (android.TryGetProperty("ttl", out var ttl) && !ValidTtl(ttl))
            {
                return BadField("message.android.ttl", $"Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), {ttl.GetRawText()}");
            }

            if (CheckData(android, "message.android.data") is { } androidDataError)
            {
                return androidDataError;
            }
        }

        if (message.TryGetProperty("apns", out var apns) && apns.TryGetProperty("headers", out var apnsHeaders)
            && CheckStringMap(apnsHeaders, "message.apns.headers") is { } apnsError)
        {
            return apnsError;
        }

        if (message.TryGetProperty("webpush", out var webpush) && webpush.TryGetProperty("headers", out var webHeaders)
            && CheckStringMap(webHeaders, "message.webpush.headers") is { } webError)
        {
            return webError;
        }

        // FCM counts the payload, not the addressing: the message object less its target.
        var size = Encoding.UTF8.GetByteCount(message.GetRawText()) - Encoding.UTF8.GetByteCount(token ?? topic ?? condition ?? "");
        if (size > (token is null ? MaxTopicPayloadBytes : MaxPayloadBytes))
        {
            return BadField("message", "Message is too big");
        }

        return null;
    }

    private static IResult? CheckData(JsonElement parent, string path)
    {
        if (!parent.TryGetProperty("data", out var data))
        {
            return null;
        }

        if (CheckStringMap(data, path) is { } error)
        {
            return error;
        }

        foreach (var p in data.EnumerateObject())
        {
            if (p.Name is "from" or "message_type" or "notification" || p.Name.StartsWith("google", StringComparison.OrdinalIgnoreCase)
                || p.Name.StartsWith("gcm", StringComparison.OrdinalIgnoreCase))
            {
                return BadField(path, $"Invalid data payload key: {p.Name}");
            }
        }

        return null;
    }

    private static IResult? CheckStringMap(JsonElement map, string path)
    {
        if (map.ValueKind != JsonValueKind.Object)
        {
            return BadField(path, $"Invalid value at '{path}'.");
        }

        var i = 0;
        foreach (var p in map.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
            {
                return BadField($"{path}[{i}].value", $"Invalid value at '{path}[{i}].value' (TYPE_STRING), {p.Value.GetRawText()}");
            }

            i++;
        }

        return null;
    }

    private static bool ValidTtl(JsonElement ttl)
    {
        if (ttl.ValueKind != JsonValueKind.String || ttl.GetString() is not { } text || !TtlPattern().IsMatch(text))
        {
            return false;
        }

        return decimal.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds <= MaxTtlSeconds;
    }

    private IResult? Scripted(string? token, DateTimeOffset now)
    {
        Rule? hit = null;
        lock (_rulesGate)
        {
            if (_rules.Count == 0)
            {
                return null;
            }

            _rules.RemoveAll(r => r.Remaining <= 0 || r.Until < now);
            hit = _rules.FirstOrDefault(r => token is not null && r.Token == token) ?? _rules.FirstOrDefault(r => r.Token is null);
            if (hit is not null && hit.Remaining != int.MaxValue)
            {
                hit.Remaining--;
            }
        }

        return hit is null ? null : FaultResult(hit.Fault, hit.RetryAfter);
    }

    private static IResult FaultResult(FcmFault fault, TimeSpan? retryAfter)
    {
        var result = fault switch
        {
            FcmFault.Unregistered => Error(404, "Requested entity was not found.", "NOT_FOUND", "UNREGISTERED"),
            FcmFault.SenderIdMismatch => Error(403, "SenderId mismatch", "PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
            FcmFault.InvalidToken => Error(400, "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.token"),
            FcmFault.InvalidArgument => Error(400, "Invalid value at 'message.android.notification.channel_id' (TYPE_STRING)", "INVALID_ARGUMENT", "INVALID_ARGUMENT",
                "message.android.notification.channel_id"),
            FcmFault.QuotaExceeded => Error(429, "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' of service 'fcm.googleapis.com'.",
                "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
            FcmFault.Unavailable => Error(503, "The service is currently unavailable.", "UNAVAILABLE", "UNAVAILABLE"),
            FcmFault.Internal => Error(500, "Internal error encountered.", "INTERNAL", "INTERNAL"),
            FcmFault.ThirdPartyAuth => Error(401, "Auth error from APNS or Web Push Service", "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"),
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };
        return retryAfter is { } after ? new WithRetryAfter(result, after) : result;
    }

    /// <summary>Google's error body: <c>{"error":{"code","message","status","details":[FcmError, BadRequest]}}</c>.</summary>
    internal static IResult Error(int code, string message, string status, string? fcmErrorCode, string? field = null)
    {
        var details = new JsonArray();
        if (fcmErrorCode is not null)
        {
            details.Add(new JsonObject { ["@type"] = FcmErrorType, ["errorCode"] = fcmErrorCode });
        }

        if (field is not null)
        {
            details.Add(new JsonObject
            {
                ["@type"] = BadRequestType,
                ["fieldViolations"] = new JsonArray(new JsonObject { ["field"] = field, ["description"] = message }),
            });
        }

        var error = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status };
        if (details.Count > 0)
        {
            error["details"] = details;
        }

        return Results.Content(new JsonObject { ["error"] = error }.ToJsonString(), "application/json; charset=UTF-8", Encoding.UTF8, code);
    }

    private static IResult BadField(string field, string message) => Error(400, message, "INVALID_ARGUMENT", "INVALID_ARGUMENT", field);

    private static IResult OAuthError(string error, string description) =>
        Results.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, statusCode: 400);

    internal static bool PlausibleToken(string token) =>
        token.Length is >= 20 and <= 4096 && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':');

    private string ProjectHash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_options.ProjectId)).AsSpan(0, 8));

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string B64Url(byte[] bytes) => Base64Url.EncodeToString(bytes);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAndDisposeAsync();
            _app = null;
        }

        _key.Dispose();
    }

    [GeneratedRegex(@"^\d+(\.\d{1,9})?s$")]
    private static partial Regex TtlPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9\-_.~%]{1,900}$")]
    private static partial Regex TopicPattern();

    private readonly record struct Target(string? Token, string? Topic, string? Condition);

    private sealed record Device(string ExternalId, string ProjectId);

    private sealed class Rule(FcmFault fault, string? token, int remaining, DateTimeOffset? until, TimeSpan? retryAfter)
    {
        public FcmFault Fault { get; } = fault;
        public string? Token { get; } = token;
        public int Remaining { get; set; } = remaining;
        public DateTimeOffset? Until { get; } = until;
        public TimeSpan? RetryAfter { get; } = retryAfter;
    }

    private sealed class WithRetryAfter(IResult inner, TimeSpan retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
