using System.Globalization;
using System.Text;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Core.Storage;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Primitives;

namespace AlertHub.Server.Features.Delivery.Channels.Telephony;

/// <summary>A staff-entered phone number for a household (family-assisted registration).</summary>
internal sealed record PhoneEndpointRequest(string? Channel, string? Number);

internal sealed record PhoneEndpointAdded(Guid ResidentId, long EndpointId, string Channel, string Address, string Kind);

/// <summary>One call or SMS attempt as staff see it (the number masked: it is personal data).</summary>
internal sealed record AttemptView(string Channel, Guid ResidentId, int Version, int Attempt, string Number, string State, string? Status, string? AnsweredBy,
    bool Acknowledged, string? ErrorCode, string? Detail, DateTimeOffset UpdatedAt);

internal sealed record AttemptsView(string AlertId, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Outcomes, IReadOnlyList<AttemptView> Attempts);

/// <summary>
/// Twilio's callbacks (<c>/api/telephony/status</c>, <c>/twiml</c>, <c>/gather</c>, each verified by <c>X-Twilio-Signature</c>
/// against the exact URL the hub gave), the public full-text page SMS links to (<c>/t/{code}</c>), and the staff side:
/// a household's phone number entered by staff and each alert's call and SMS outcomes.
/// </summary>
internal static partial class TelephonyApi
{
    private static readonly string[] TerminalRetried = ["busy", "no-answer", "failed"];

    public static IEndpointRouteBuilder MapTelephonyApi(this IEndpointRouteBuilder app)
    {
        // The full-text page is public whatever is enabled (Lアラート's お知らせ link to it too).

        app.MapGet("/t/{code}", (string code, AlertRecords alerts, IAlertStore lookups, CancellationToken ct) => FullTextAsync(code, null, alerts, lookups, ct))
            .AllowAnonymous().WithTags("Telephony");
        app.MapGet("/t/{code}/{language}", (string code, string language, AlertRecords alerts, IAlertStore lookups, CancellationToken ct) =>
            FullTextAsync(code, language, alerts, lookups, ct)).AllowAnonymous().WithTags("Telephony");

        var staff = app.MapGroup("/api").WithTags("Telephony");
        staff.MapPost("/residents/{id:guid}/phone-endpoints", AddPhoneAsync).RequireAuthorization(StaffRoles.Policies.Issuer);
        if (!app.ServiceProvider.GetServices<TelephonyChannel>().Any())
        {
            return app;
        }

        var callbacks = app.MapGroup("/api/telephony").WithTags("Telephony").AllowAnonymous();
        callbacks.MapPost("/status", StatusAsync);
        callbacks.MapPost("/twiml", TwimlAsync);
        callbacks.MapPost("/gather", GatherAsync);
        staff.MapGet("/telephony/attempts", async Task<Results<Ok<AttemptsView>, ProblemHttpResult>> (string? alertId, TelephonyAttempts store, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(alertId) || alertId.Length > 64)
            {
                return Problems.BadRequest(Problems.InvalidRequest, "alertId is required.");
            }

            var attempts = await store.ListAsync(alertId, 10_000, ct);
            var outcomes = attempts.GroupBy(a => a.Channel).ToDictionary(g => g.Key,
                g => (IReadOnlyDictionary<string, int>)g.GroupBy(a => (a.ResidentId, a.Version)).Select(Outcome).GroupBy(o => o)
                    .ToDictionary(o => o.Key, o => o.Count()));
            return TypedResults.Ok(new AttemptsView(alertId, outcomes, [.. attempts.Take(1000).Select(a => new AttemptView(a.Channel, a.ResidentId, a.Version,
                a.Attempt, PhoneNumbers.Masked(a.Address), a.State, a.Status, a.AnsweredBy, a.Acknowledged, a.ErrorCode, a.Detail,
                DateTimeOffset.FromUnixTimeMilliseconds(a.UpdatedAt)))]));
        }).RequireAuthorization(StaffRoles.Policies.Viewer);
        return app;
    }

    /// <summary>One (resident, channel, version)'s outcome over its attempts: acknowledged, answered, voicemail, delivered, unreachable, pending.</summary>
    private static string Outcome(IEnumerable<TelephonyAttempt> attempts)
    {
        var list = attempts.OrderBy(a => a.Attempt).ToList();
        if (list.Any(a => a.Acknowledged))
        {
            return "acknowledged";
        }

        var last = list[^1];
        return last switch
        {
            { Status: "completed", AnsweredBy: { } by } when by.StartsWith("machine", StringComparison.Ordinal) || by == "fax" => "voicemail",
            { Status: "completed" } => "answered",
            { Status: "delivered" } => "delivered",
            // A placed attempt is pending only until Twilio reports how it ended: the last of the retries ending busy is unreachable.
            { Status: "sent" or "queued" or "initiated" or "ringing" or "in-progress" or "accepted" or "sending" } or { State: "placing" or "scheduled" }
                or { State: "placed", Status: null } => "pending",
            { State: "skipped" } => "not-needed",
            _ => "unreachable",
        };
    }

    private static async Task<IResult> StatusAsync(HttpRequest request, IEnumerable<TelephonyChannel> channels, TelephonyAttempts store, TimeProvider time,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var (channel, form, attempt, refusal) = await VerifyAsync(request, channels, store, ct);
        if (refusal is not null)
        {
            return refusal;
        }

        if (attempt is null)
        {
            return TypedResults.NoContent();
        }

        var status = First(form, "CallStatus") ?? First(form, "MessageStatus") ?? First(form, "SmsStatus");
        if (status is null || status.Length > 32)
        {
            return Problems.BadRequest(Problems.InvalidRequest, "CallStatus or MessageStatus is required.");
        }

        var sequence = int.TryParse(First(form, "SequenceNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
        var updated = await store.RecordStatusAsync(attempt.Id, status, Clip(First(form, "AnsweredBy")), Clip(First(form, "ErrorCode")), sequence, ct);
        if (channel is VoiceChannel voice && updated is not null && TerminalRetried.Contains(status, StringComparer.Ordinal)
            && updated.Attempt <= voice.Options.Retries.Count)
        {
            var due = time.GetUtcNow().Add(voice.Options.Retries[updated.Attempt - 1]).ToUnixTimeMilliseconds();
            if (await store.ScheduleRetryAsync(updated, due, ct))
            {
                var logger = loggers.CreateLogger(typeof(TelephonyApi).FullName!);
                var masked = PhoneNumbers.Masked(updated.Address);
                LogRetryScheduled(logger, status, updated.Attempt + 1, masked);
            }
        }

        return TypedResults.NoContent();
    }

    private static async Task<IResult> TwimlAsync(HttpRequest request, IEnumerable<TelephonyChannel> channels, TelephonyAttempts store, AlertRecords alerts,
        CancellationToken ct)
    {
        var (channel, form, attempt, refusal) = await VerifyAsync(request, channels, store, ct);
        if (refusal is not null)
        {
            return refusal;
        }

        if (channel is not VoiceChannel voice || attempt is null || await WithdrawnAsync(alerts, attempt, ct))
        {
            return Twiml(VoiceScript.Nothing());
        }

        var answeredBy = Clip(First(form, "AnsweredBy"));
        if (answeredBy is not null)
        {
            await store.RecordAnsweredByAsync(attempt.Id, answeredBy, ct);
        }

        // A machine (or a fax) gets the message once, after its greeting; everyone else hears it twice and may press 1.
        var machine = answeredBy is not null && (answeredBy.StartsWith("machine", StringComparison.Ordinal) || answeredBy == "fax");
        return Twiml(machine
            ? VoiceScript.ForMachine(attempt.Spoken, attempt.Language, voice.Options)
            : VoiceScript.ForPerson(attempt.Spoken, attempt.Language, voice.Options, new Uri(voice.CallbackUrl("gather", attempt.CallbackRef))));
    }

    private static async Task<IResult> GatherAsync(HttpRequest request, IEnumerable<TelephonyChannel> channels, TelephonyAttempts store, AlertService alerts,
        CancellationToken ct)
    {
        var (channel, form, attempt, refusal) = await VerifyAsync(request, channels, store, ct);
        if (refusal is not null)
        {
            return refusal;
        }

        if (channel is not VoiceChannel voice || attempt is null)
        {
            return Twiml(VoiceScript.Nothing());
        }

        var digits = Clip(First(form, "Digits")) ?? "";
        var acknowledged = digits == "1";
        await store.RecordDigitsAsync(attempt.Id, digits, acknowledged, ct);
        if (acknowledged)
        {
            // Exactly the app's 受け取りました: the alert is acknowledged and the resident's remaining escalation steps stop.
            await alerts.AcknowledgeAsync(attempt.AlertId, attempt.ResidentId, "voice", ct);
        }

        return Twiml(VoiceScript.AfterKeypad(acknowledged, attempt.Language, voice.Options));
    }

    /// <summary>
    /// Finds the attempt the callback names and checks its signature with that channel's auth token against the URL the hub
    /// gave Twilio (callback base + path + query as received). A bad or missing signature is refused before anything is read.
    /// </summary>
    private static async Task<(TelephonyChannel? Channel, IFormCollection Form, TelephonyAttempt? Attempt, IResult? Refusal)> VerifyAsync(
        HttpRequest request, IEnumerable<TelephonyChannel> channels, TelephonyAttempts store, CancellationToken ct)
    {
        var form = request.HasFormContentType ? await request.ReadFormAsync(ct) : FormCollection.Empty;
        var reference = request.Query["d"].ToString();
        var parts = reference.Split(':');
        var channel = parts.Length == 5 ? channels.FirstOrDefault(c => c.Name == parts[3]) : null;
        if (channel is null)
        {
            return (null, form, null, Problems.Create(StatusCodes.Status404NotFound, Problems.TelephonyChannelDisabled, "Unknown callback.",
                "The callback names no enabled telephony channel."));
        }

        var url = channel.CallbackBase + request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
        var parameters = form.SelectMany(f => f.Value.Select(v => KeyValuePair.Create(f.Key, v ?? "")));
        if (!TwilioSignature.IsValid(channel.Account.AuthToken, url, parameters, request.Headers["X-Twilio-Signature"].ToString())
            || !string.Equals(First(form, "AccountSid"), channel.Account.AccountSid, StringComparison.Ordinal))
        {
            return (channel, form, null, Problems.Create(StatusCodes.Status403Forbidden, Problems.TelephonySignatureInvalid,
                "The callback is not signed by Twilio.", "X-Twilio-Signature does not match this URL and these parameters."));
        }

        var attempt = await store.FindAsync(reference, ct);
        return (channel, form, attempt is not null && attempt.Channel == channel.Name ? attempt : null, null);
    }

    /// <summary>A call answered after its alert was cancelled says nothing: the cancellation reaches the resident itself.</summary>
    private static async Task<bool> WithdrawnAsync(AlertRecords alerts, TelephonyAttempt attempt, CancellationToken ct) =>
        await alerts.GetHeadAsync(attempt.AlertId, ct) is { State: "cancelled" } head && head.CurrentVersion > attempt.Version;

    private static async Task<Results<Created<PhoneEndpointAdded>, ProblemHttpResult>> AddPhoneAsync(Guid id, PhoneEndpointRequest request,
        IEnumerable<IEndpointValidator> validators, ChannelRegistry channels, ResidentStore residents, ResidentIndexSync index, AuditLog audit,
        HttpContext http, CancellationToken ct)
    {
        var channel = request.Channel?.Trim().ToLowerInvariant();
        if (channel is not (VoiceChannel.ChannelName or SmsChannel.ChannelName) || !channels.IsKnown(channel))
        {
            return Problems.BadRequest(Problems.ResidentChannelUnknown,
                $"channel must be an enabled phone channel (voice or sms). Enabled: {string.Join(", ", channels.Names)}.");
        }

        var validator = validators.First(v => v.Channel == channel);
        ValidEndpoint endpoint;
        try
        {
            endpoint = validator.Validate(new EndpointDto(channel, request.Number, null), 0);
        }
        catch (RequestValidationException e)
        {
            return Problems.BadRequest(e.Code, e.Message.Replace("endpoints[0].address", "number", StringComparison.Ordinal));
        }

        if (await residents.AddEndpointAsync(id, endpoint, ct) is not { } endpointId)
        {
            return Problems.NotFoundProblem(Problems.ResidentNotFound, $"No resident {id}.");
        }

        await index.RefreshAsync([id], ct);
        await audit.WriteAsync(http.User.Actor(), "residents.phone.add", id.ToString(), $"{channel} {PhoneNumbers.Masked(endpoint.Address)}", ct);
        var kind = PhoneNumbers.TryNormalise(endpoint.Address, out _)?.Kind.ToString().ToLowerInvariant() ?? "unknown";
        return TypedResults.Created($"/api/residents/{id}", new PhoneEndpointAdded(id, endpointId, channel, endpoint.Address, kind));
    }

    /// <summary>The plain-text page an SMS links to: the alert's current version in one language, readable on any phone.</summary>
    private static async Task<IResult> FullTextAsync(string code, string? language, AlertRecords alerts, IAlertStore lookups, CancellationToken ct)
    {
        if (code.Length != 12 || !code.All(char.IsAsciiHexDigitLower) || language is { Length: > 20 })
        {
            return Problems.NotFoundProblem(Problems.TelephonyTextNotFound, "No such alert text.");
        }

        var ids = await lookups.IdsStartingWithAsync(code, ct);
        var id = ids.Count == 1 ? ids[0] : null;
        if (id is null || await alerts.GetHeadAsync(id, ct) is not { } head || await alerts.GetVersionAsync(id, head.CurrentVersion, ct) is not { } alert)
        {
            return Problems.NotFoundProblem(Problems.TelephonyTextNotFound, "No such alert text.");
        }

        var m = MessageRenderer.Render(alert, language ?? "ja", new Core.Delivery.ChannelLimits(1, 1000, 10_000, 1));
        var text = new StringBuilder()
            .AppendLine(m.Headline).AppendLine()
            .AppendLine(m.Body);
        if (m.Instruction is not null)
        {
            text.AppendLine().AppendLine(m.Instruction);
        }

        text.AppendLine().AppendLine(string.IsNullOrEmpty(m.AreaName) ? "" : m.AreaName)
            .AppendLine(m.Sent.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd HH:mm 'JST'", CultureInfo.InvariantCulture));
        return Results.Text(text.ToString(), "text/plain; charset=utf-8", Encoding.UTF8);
    }

    private static IResult Twiml(string xml) => Results.Text(xml, "application/xml; charset=utf-8", Encoding.UTF8);

    private static string? First(IFormCollection form, string key) => form.TryGetValue(key, out var v) && v.Count > 0 ? v[0] : null;

    private static string? Clip(string? value) => value is null ? null : value.Length <= 64 ? value : value[..64];

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {Status}: attempt {Attempt} to {Number} scheduled")]
    private static partial void LogRetryScheduled(ILogger logger, string status, int attempt, string number);
}
