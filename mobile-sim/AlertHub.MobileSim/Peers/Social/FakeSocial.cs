using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlertHub.MobileSim.Peers.Social;

/// <summary>A post a fake service accepted.</summary>
internal sealed record SocialPost(string Service, string Id, string Text, string? IdempotencyKey, DateTimeOffset At);

/// <summary>
/// Mastodon (<c>POST /api/v1/statuses</c>) and X API v2 (<c>POST /2/tweets</c>) on 127.0.0.1, enough of each
/// published contract for the hub's social channel: bearer tokens (401), Mastodon's 500-character limit (422)
/// and <c>Idempotency-Key</c> (a repeated key returns the first status, no second post), X's 280 weighted
/// characters (CJK count 2, URLs 23) and its 403 for duplicate content, 429 with each service's reset header,
/// and scripted 5xx. Default load-run port 5094.
/// </summary>
internal sealed partial class FakeSocial : IAsyncDisposable
{
    public const int DefaultPort = 5094;
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, SocialPost> _mastodonByKey = new();
    private readonly ConcurrentDictionary<string, byte> _xTexts = new();
    private int _nextId;
    private int _failuresLeft;
    private int _failureStatus;
    private (string Location, int Status)? _redirect;
    private int _requests;

    private FakeSocial(WebApplication app, string token)
    {
        _app = app;
        Token = token;
    }

    public string Token { get; }

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<SocialPost> Posts { get; } = new();

    /// <summary>Every request that reached the fake, whatever its path or answer.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>
    /// From now on every request is answered <paramref name="status"/> (a 3xx) with <c>Location:</c>
    /// <paramref name="baseUrl"/> plus the request's path: an instance that moved, or one that tries to walk
    /// its client somewhere else. Null stops it.
    /// </summary>
    public void RedirectTo(string? baseUrl, int status = 302) => _redirect = baseUrl is null ? null : (baseUrl.TrimEnd('/'), status);

    /// <summary>The next <paramref name="count"/> requests answer <paramref name="status"/> (429 carries a reset header 2 s ahead).</summary>
    public void FailNext(int count, int status)
    {
        _failureStatus = status;
        Volatile.Write(ref _failuresLeft, count);
    }

    public static async Task<FakeSocial> StartAsync(string token = "fake-social-token", int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeSocial(app, token);
        app.Use(async (http, next) =>
        {
            Interlocked.Increment(ref fake._requests);
            if (fake._redirect is { } redirect)
            {
                http.Response.StatusCode = redirect.Status;
                http.Response.Headers.Location = redirect.Location + http.Request.Path + http.Request.QueryString;
                return;
            }

            await next(http);
        });
        app.MapPost("/api/v1/statuses", fake.MastodonAsync);
        app.MapPost("/2/tweets", fake.TweetAsync);
        await app.StartAsync();
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fake;
    }

    private async Task<IResult> MastodonAsync(HttpRequest request)
    {
        if (!Authorized(request))
        {
            return Results.Json(new { error = "The access token is invalid" }, statusCode: 401);
        }

        if (Scripted(request.HttpContext.Response, "X-RateLimit-Reset", DateTimeOffset.UtcNow.AddSeconds(2).ToString("O", CultureInfo.InvariantCulture)) is { } failure)
        {
            return failure;
        }

        using var body = await JsonDocument.ParseAsync(request.Body);
        var text = body.RootElement.TryGetProperty("status", out var s) ? s.GetString() ?? "" : "";
        if (text.Length == 0)
        {
            return Results.Json(new { error = "Validation failed: Text can't be blank" }, statusCode: 422);
        }

        if (MastodonLength(text) > 500)
        {
            return Results.Json(new { error = "Validation failed: Text character limit of 500 exceeded" }, statusCode: 422);
        }

        string? key = request.Headers["Idempotency-Key"];
        if (key is not null && _mastodonByKey.TryGetValue(key, out var earlier))
        {
            return Results.Json(Status(earlier));
        }

        var post = new SocialPost("mastodon", Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture), text, key, DateTimeOffset.UtcNow);
        if (key is not null && !_mastodonByKey.TryAdd(key, post))
        {
            return Results.Json(Status(_mastodonByKey[key]));
        }

        Posts.Enqueue(post);
        return Results.Json(Status(post));
    }

    private async Task<IResult> TweetAsync(HttpRequest request)
    {
        if (!Authorized(request))
        {
            return Results.Json(new { title = "Unauthorized", type = "about:blank", status = 401, detail = "Unauthorized" }, statusCode: 401);
        }

        var reset = DateTimeOffset.UtcNow.AddSeconds(2).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        if (Scripted(request.HttpContext.Response, "x-rate-limit-reset", reset) is { } failure)
        {
            return failure;
        }

        using var body = await JsonDocument.ParseAsync(request.Body);
        var text = body.RootElement.TryGetProperty("text", out var t) ? t.GetString() ?? "" : "";
        if (XWeightedLength(text) > 280)
        {
            return Results.Json(new { errors = new[] { new { message = "Your Tweet text is too long." } }, title = "Invalid Request", status = 400 }, statusCode: 400);
        }

        if (!_xTexts.TryAdd(text, 0))
        {
            return Results.Json(new
            {
                detail = "You are not allowed to create a Tweet with duplicate content.", type = "about:blank", title = "Forbidden", status = 403,
            }, statusCode: 403);
        }

        var post = new SocialPost("x", Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture), text, null, DateTimeOffset.UtcNow);
        Posts.Enqueue(post);
        return Results.Json(new { data = new { id = post.Id, text } }, statusCode: 201);
    }

    private IResult? Scripted(HttpResponse response, string resetHeader, string resetValue)
    {
        if (Interlocked.Decrement(ref _failuresLeft) < 0)
        {
            Interlocked.Exchange(ref _failuresLeft, 0);
            return null;
        }

        if (_failureStatus == 429)
        {
            response.Headers[resetHeader] = resetValue;
        }

        return Results.Json(new { error = "scripted failure" }, statusCode: _failureStatus);
    }

    private bool Authorized(HttpRequest request) => request.Headers.Authorization.ToString() == "Bearer " + Token;

    private static object Status(SocialPost post) => new
    {
        id = post.Id, content = "<p>" + WebUtility.HtmlEncode(post.Text) + "</p>", visibility = "public", created_at = post.At.ToString("O", CultureInfo.InvariantCulture),
    };

    /// <summary>Mastodon counts code points, any URL as 23.</summary>
    internal static int MastodonLength(string text) => UrlPattern().Replace(text, new string('x', 23)).EnumerateRunes().Count();

    /// <summary>X: weight 1 for U+0000–U+10FF and some punctuation ranges, 2 otherwise; URLs count 23.</summary>
    internal static int XWeightedLength(string text) => UrlPattern().Replace(text, new string('x', 23)).EnumerateRunes()
        .Sum(r => r.Value is <= 0x10FF or (>= 0x2000 and <= 0x200D) or (>= 0x2010 and <= 0x201F) or (>= 0x2032 and <= 0x2037) ? 1 : 2);

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex UrlPattern();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
