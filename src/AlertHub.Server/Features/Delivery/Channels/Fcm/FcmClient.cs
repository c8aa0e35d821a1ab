using System.Net.Http.Headers;
using System.Text.Json;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Util;

namespace AlertHub.Server.Features.Delivery.Channels.Fcm;

/// <summary>OAuth2 access tokens for FCM: one cached token per process, refreshed before it expires.</summary>
internal interface IFcmAccessTokens
{
    Task<string> GetAsync(CancellationToken cancellationToken);

    /// <summary>Fetches a new token unless another caller already replaced <paramref name="rejected"/>.</summary>
    Task RefreshAsync(string rejected, CancellationToken cancellationToken);
}

/// <summary>
/// Service-account JWT bearer flow (RFC 7523) through Google.Apis.Auth. The initializer is built by hand because
/// <c>GoogleCredential.FromJson</c> ignores <c>token_uri</c>; the JWT <c>aud</c> stays https://oauth2.googleapis.com/token
/// whatever <see cref="FcmChannelOptions.TokenUrl"/> is.
/// </summary>
internal sealed class GoogleFcmAccessTokens : IFcmAccessTokens, IDisposable
{
    public const string Scope = "https://www.googleapis.com/auth/firebase.messaging";

    private readonly ServiceAccountCredential _credential;
    private readonly SemaphoreSlim _refresh = new(1, 1);

    public GoogleFcmAccessTokens(FcmChannelOptions options, TimeProvider time)
    {
        _credential = new ServiceAccountCredential(
            new ServiceAccountCredential.Initializer(options.ServiceAccountEmail, options.TokenUrl)
            {
                Scopes = [Scope],
                Clock = new TimeProviderClock(time),
            }.FromPrivateKey(options.LoadPrivateKeyPem()));
    }

    public Task<string> GetAsync(CancellationToken cancellationToken) =>
        _credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);

    public async Task RefreshAsync(string rejected, CancellationToken cancellationToken)
    {
        // Many requests in flight see the same 401 at once; only the first one fetches.
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_credential.Token is null || _credential.Token.AccessToken == rejected)
            {
                await _credential.RequestAccessTokenAsync(cancellationToken);
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    private sealed class TimeProviderClock(TimeProvider time) : IClock
    {
        public DateTime Now => time.GetLocalNow().DateTime;

        public DateTime UtcNow => time.GetUtcNow().UtcDateTime;
    }
}

/// <summary>What FCM answered to one send: the HTTP status, and for errors the canonical status, the FcmError code,
/// the message, the first bad field and Retry-After.</summary>
internal sealed record FcmResponse(int HttpStatus, string? Status = null, string? ErrorCode = null, string? Message = null,
    string? Field = null, TimeSpan? RetryAfter = null, bool Refreshed = false)
{
    public bool IsSuccess => HttpStatus is >= 200 and < 300;
}

/// <summary>
/// <c>POST {BaseUrl}/v1/projects/{ProjectId}/messages:send</c> with a Bearer token. A 401 UNAUTHENTICATED without an
/// FcmError code (the access token expired or was revoked) refreshes the token once and repeats that request; FCM did
/// not accept the first one, so the device never sees it twice.
/// </summary>
internal sealed class FcmClient(HttpClient http, IFcmAccessTokens tokens, Uri sendUri, TimeProvider time)
{
    public const string FcmErrorType = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
    public const string BadRequestType = "type.googleapis.com/google.rpc.BadRequest";

    public static Uri SendUri(FcmChannelOptions options) =>
        new($"{options.BaseUrl.TrimEnd('/')}/v1/projects/{Uri.EscapeDataString(options.ProjectId!)}/messages:send");

    public async Task<FcmResponse> SendAsync(byte[] body, CancellationToken cancellationToken)
    {
        var token = await tokens.GetAsync(cancellationToken);
        var response = await SendOnceAsync(body, token, cancellationToken);
        if (response is { HttpStatus: 401, ErrorCode: null })
        {
            await tokens.RefreshAsync(token, cancellationToken);
            token = await tokens.GetAsync(cancellationToken);
            response = await SendOnceAsync(body, token, cancellationToken) with { Refreshed = true };
        }

        return response;
    }

    private async Task<FcmResponse> SendOnceAsync(byte[] body, string accessToken, CancellationToken cancellationToken)
    {
        // HttpClient.DefaultRequestVersion only applies to its convenience methods, not to a message built by hand.
        using var request = new HttpRequestMessage(HttpMethod.Post, sendUri)
        {
            Content = new ByteArrayContent(body),
            Version = http.DefaultRequestVersion,
            VersionPolicy = http.DefaultVersionPolicy,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            return new FcmResponse(status);
        }

        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow(),
            _ => (TimeSpan?)null,
        };
        if (retryAfter < TimeSpan.Zero)
        {
            retryAfter = TimeSpan.Zero;
        }

        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return ParseError(status, content) with { RetryAfter = retryAfter };
    }

    /// <summary>Reads Google's error body: <c>{"error":{"code","message","status","details":[{"@type":…FcmError,"errorCode"},{"@type":…BadRequest,"fieldViolations":[{"field"}]}]}}</c>.</summary>
    internal static FcmResponse ParseError(int httpStatus, ReadOnlySpan<byte> content)
    {
        string? status = null, errorCode = null, message = null, field = null;
        try
        {
            var reader = new Utf8JsonReader(content);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                status = StringOf(error, "status");
                message = StringOf(error, "message");
                if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
                {
                    foreach (var detail in details.EnumerateArray())
                    {
                        var type = detail.ValueKind == JsonValueKind.Object ? StringOf(detail, "@type") : null;
                        if (type == FcmErrorType)
                        {
                            errorCode ??= StringOf(detail, "errorCode");
                        }
                        else if (type == BadRequestType && detail.TryGetProperty("fieldViolations", out var violations)
                            && violations.ValueKind == JsonValueKind.Array && violations.GetArrayLength() > 0
                            && violations[0].ValueKind == JsonValueKind.Object)
                        {
                            field ??= StringOf(violations[0], "field");
                        }
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not Google's JSON (a proxy's HTML page): classify on the HTTP status alone.
        }

        return new FcmResponse(httpStatus, status, errorCode, message, field);
    }

    private static string? StringOf(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
