using AlertHub.Server.Features.Alerts;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>What a postback or text message asks to change. Null members are left as they are.</summary>
internal sealed record LineSettings(string? District, string[]? HouseholdTags, bool SetLanguage, string? Language);

/// <summary>
/// <c>POST /api/line/webhook</c>: LINE's events for the official account. Every request must carry
/// <c>X-Line-Signature</c> = base64(HMAC-SHA256(channel secret, raw body)), checked in constant time, or it is
/// refused with 401. Events are deduplicated by <c>webhookEventId</c> and applied before answering 200, so a
/// 200 means the change is stored (each is a few SQLite statements) and a failure lets LINE redeliver:
/// <c>follow</c> registers (or re-activates) a resident with a line endpoint, <c>unfollow</c> marks it gone,
/// <c>postback</c> data and text messages such as <c>district=横手地区&amp;tags=elderly,children&amp;lang=en</c>
/// set the resident's district (a place at the area's interior point), household tags and language.
/// </summary>
internal sealed partial class LineWebhook(
    IOptions<LineChannelOptions> options,
    LineLinks links,
    ResidentStore residents,
    ResidentIndexSync index,
    AreaStore areas,
    IOptions<ResidentsOptions> residentOptions,
    AlertService alerts,
    ILogger<LineWebhook> logger)
{
    public const string Path = "/api/line/webhook";
    public const string SignatureHeader = "X-Line-Signature";

    private const int MaxBodyBytes = 1024 * 1024;

    public static string Sign(string channelSecret, ReadOnlySpan<byte> body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(channelSecret), body));

    /// <summary>Constant-time check of <c>X-Line-Signature</c>; a missing secret, header or malformed base64 is invalid.</summary>
    public static bool IsValidSignature(string channelSecret, ReadOnlySpan<byte> body, string? header)
    {
        if (string.IsNullOrEmpty(channelSecret) || string.IsNullOrEmpty(header))
        {
            return false;
        }

        Span<byte> given = stackalloc byte[64];
        if (!Convert.TryFromBase64String(header.Trim(), given, out var written) || written != HMACSHA256.HashSizeInBytes)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(channelSecret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given[..written]);
    }

    /// <summary>Reads <c>key=value&amp;…</c> settings; null when nothing recognisable is in it.</summary>
    public static LineSettings? ParseSettings(string? data)
    {
        if (string.IsNullOrWhiteSpace(data) || !data.Contains('=', StringComparison.Ordinal) || data.Length > 1000)
        {
            return null;
        }

        var query = QueryHelpers.ParseQuery(data.Trim());
        string? district = null;
        string[]? tags = null;
        var setLanguage = false;
        string? language = null;
        foreach (var (key, value) in query)
        {
            var v = value.ToString().Trim();
            switch (key.Trim().ToLowerInvariant())
            {
                case "district" or "area":
                    district = v.Length > 0 ? v : null;
                    break;
                case "tags" or "household":
                    tags = v is "" or "none"
                        ? []
                        : [.. v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.ToLowerInvariant()).Distinct()];
                    break;
                case "lang" or "language":
                    setLanguage = true;
                    language = v.Length == 0 ? null : v;
                    break;
            }
        }

        return district is null && tags is null && !setLanguage ? null : new LineSettings(district, tags, setLanguage, language);
    }

    /// <summary>Maps <c>POST /api/line/webhook</c>: public, the signature is its authentication.</summary>
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost(Path, (HttpContext context, LineWebhook webhook) => webhook.HandleAsync(context))
            .WithTags("LINE")
            .AllowAnonymous();

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var body = await BoundedRead.ReadAtMostAsync(context.Request.Body, MaxBodyBytes, ct);
        if (body is null)
        {
            return Problems.Create(413, Problems.TooLarge, "The request body is too large.", $"LINE webhooks are at most {MaxBodyBytes} bytes here.");
        }

        if (!IsValidSignature(options.Value.ChannelSecret, body, context.Request.Headers[SignatureHeader]))
        {
            LogBadSignature(logger, context.Connection.RemoteIpAddress?.ToString());
            return Problems.Create(401, Problems.LineSignatureInvalid, "The webhook signature is not valid.",
                "X-Line-Signature must be base64(HMAC-SHA256(channel secret, raw body)).");
        }

        using var doc = JsonDocument.Parse(body);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
        {
            return Problems.BadRequest(Problems.InvalidRequest, "A LINE webhook body is an object with an events array.");
        }

        foreach (var e in events.EnumerateArray())
        {
            await HandleEventAsync(e, ct);
        }

        return TypedResults.Ok();
    }

    private async Task HandleEventAsync(JsonElement e, CancellationToken ct)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var type = Str(e, "type");
        // Standby events belong to another module channel that holds the chat.
        if (Str(e, "mode") == "standby"
            || !e.TryGetProperty("source", out var source) || Str(source, "type") != "user"
            || Str(source, "userId") is not { } userId || !LineEndpointValidator.IsUserId(userId))
        {
            return;
        }

        var eventId = Str(e, "webhookEventId");
        if (eventId is not null && !await links.ClaimEventAsync(eventId, ct))
        {
            LogDuplicate(logger, eventId);
            return;
        }

        try
        {
            switch (type)
            {
                case "follow":
                    await FollowAsync(userId, ct);
                    break;
                case "unfollow":
                    var gone = await links.SetEndpointStateAsync(userId, "gone", ct);
                    await index.RefreshAsync(gone, ct);
                    LogUnfollowed(logger, gone.Count);
                    break;
                case "postback" when e.TryGetProperty("postback", out var postback) && Str(postback, "data") is { } data && data.StartsWith("ack=", StringComparison.Ordinal):
                    if (await links.FindResidentAsync(userId, ct) is Guid acknowledging)
                    {
                        await alerts.AcknowledgeAsync(data["ack=".Length..], acknowledging, "line", ct);
                    }

                    break;
                case "postback" when e.TryGetProperty("postback", out var postback):
                    await ApplySettingsAsync(userId, ParseSettings(Str(postback, "data")), ct);
                    break;
                case "message" when e.TryGetProperty("message", out var message) && Str(message, "type") == "text":
                    await ApplySettingsAsync(userId, ParseSettings(Str(message, "text")), ct);
                    break;
            }
        }
        catch when (eventId is not null)
        {
            await links.ReleaseEventAsync(eventId, CancellationToken.None);
            throw;
        }
    }

    private async Task<Guid> FollowAsync(string userId, CancellationToken ct)
    {
        var existing = await links.SetEndpointStateAsync(userId, "active", ct);
        if (existing.Count > 0)
        {
            await index.RefreshAsync(existing, ct);
            LogRefollowed(logger, existing[0]);
            return existing[0];
        }

        var resident = new ValidResident([], null, [], [], [new ValidEndpoint(LineChannel.ChannelName, userId, null)], null);
        var registered = (await residents.InsertAsync([resident], ct))[0];
        index.Index.Upsert(ResidentIndexSync.ToProfile(registered.Id, resident));
        LogFollowed(logger, registered.Id);
        return registered.Id;
    }

    private async Task ApplySettingsAsync(string userId, LineSettings? settings, CancellationToken ct)
    {
        if (settings is null)
        {
            return;
        }

        // A friend from before the hub was connected has no follow event on record: register them now.
        var id = await links.FindResidentAsync(userId, ct) ?? await FollowAsync(userId, ct);

        ValidPlace? place = null;
        if (settings.District is { } district)
        {
            if (FindArea(district) is { } area)
            {
                var point = area.Geometry.InteriorPoint;
                place = new ValidPlace(area.Name.Length <= 100 ? area.Name : area.Name[..100], point.Y, point.X);
            }
            else
            {
                LogUnknownDistrict(logger, district);
            }
        }

        string[]? tags = null;
        if (settings.HouseholdTags is { } requested)
        {
            var known = residentOptions.Value.HouseholdTags;
            tags = [.. requested.Where(t => known.Contains(t, StringComparer.OrdinalIgnoreCase))];
            if (tags.Length != requested.Length)
            {
                var unknown = string.Join(",", requested.Except(tags));
                LogUnknownTags(logger, unknown);
            }
        }

        var setLanguage = settings.SetLanguage && (settings.Language is null || LanguageTag().IsMatch(settings.Language));
        if (place is null && tags is null && !setLanguage)
        {
            return;
        }

        if (await links.UpdateProfileAsync(id, tags, setLanguage, settings.Language, place, ct))
        {
            await index.RefreshAsync([id], ct);
            if (logger.IsEnabled(LogLevel.Information))
            {
                LogSettingsChanged(logger, id, place?.Label, tags is null ? null : string.Join(",", tags), setLanguage ? settings.Language ?? "(none)" : null);
            }
        }
    }

    private Area? FindArea(string value) =>
        areas.Find(value)
        ?? areas.All.Where(a => string.Equals(a.Name, value, StringComparison.OrdinalIgnoreCase)).OrderBy(a => a.Kind == "district" ? 0 : 1).FirstOrDefault()
        ?? areas.FindByCode(value) switch { [var first, ..] => first, _ => null };

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    [GeneratedRegex("^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")]
    private static partial Regex LanguageTag();

    [LoggerMessage(Level = LogLevel.Warning, Message = "LINE webhook with an invalid signature from {Remote} refused")]
    private static partial void LogBadSignature(ILogger logger, string? remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "LINE webhook event {EventId} already processed")]
    private static partial void LogDuplicate(ILogger logger, string eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "LINE follow: resident {ResidentId} registered")]
    private static partial void LogFollowed(ILogger logger, Guid residentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "LINE follow: resident {ResidentId} re-activated")]
    private static partial void LogRefollowed(ILogger logger, Guid residentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "LINE unfollow: {Count} endpoint(s) marked gone")]
    private static partial void LogUnfollowed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "LINE settings for resident {ResidentId}: district {District}, tags {Tags}, language {Language}")]
    private static partial void LogSettingsChanged(ILogger logger, Guid residentId, string? district, string? tags, string? language);

    [LoggerMessage(Level = LogLevel.Information, Message = "LINE settings: no area named or numbered '{District}'")]
    private static partial void LogUnknownDistrict(ILogger logger, string district);

    [LoggerMessage(Level = LogLevel.Information, Message = "LINE settings: unknown household tags '{Tags}' ignored")]
    private static partial void LogUnknownTags(ILogger logger, string tags);
}
