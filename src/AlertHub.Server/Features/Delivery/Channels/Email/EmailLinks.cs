using System.Net;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;
using MimeKit;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

/// <summary>
/// The e-mail channel's public links: <c>GET /api/email/confirm?token=…</c> (double opt-in),
/// <c>GET /api/email/unsubscribe?token=…</c> (a page with a button) and <c>POST /api/email/unsubscribe?token=…</c>
/// (RFC 8058 one-click; marks the endpoint gone).
/// </summary>
internal static partial class EmailLinks
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/email").WithTags("E-mail").AllowAnonymous();
        group.MapGet("/confirm", ConfirmAsync);
        group.MapGet("/unsubscribe", UnsubscribePageAsync);
        group.MapPost("/unsubscribe", UnsubscribeAsync).DisableAntiforgery();
    }

    /// <summary>Why the options cannot work, or null.</summary>
    public static string? Validate(EmailChannelOptions o)
    {
        if (!MailboxAddress.TryParse(o.FromAddress, out _) || !EmailEndpointValidator.TryNormalise(o.FromAddress, out _, out _))
        {
            return "FromAddress";
        }

        if (o.BounceAddress is not null && !MailboxAddress.TryParse(o.BounceAddress, out _))
        {
            return "BounceAddress";
        }

        if (o.Port is < 1 or > 65535 || o.MaxConcurrency < 1 || o.MaxMessagesPerConnection < 1 || o.MaxBatchSize < 1 || string.IsNullOrWhiteSpace(o.Host))
        {
            return "limits";
        }

        if (o.LinkSigningKey is { } key && (!TryBase64(key, out var bytes) || bytes.Length < 32))
        {
            return "LinkSigningKey";
        }

        return null;

        static bool TryBase64(string s, out byte[] bytes)
        {
            bytes = new byte[s.Length];
            if (Convert.TryFromBase64String(s, bytes, out var n))
            {
                bytes = bytes[..n];
                return true;
            }

            return false;
        }
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ConfirmAsync(string? token, EmailLinkSigner signer, EmailEndpoints store,
        ResidentIndexSync index, TimeProvider time, ILogger<EmailChannel> logger, CancellationToken ct)
    {
        var (endpoint, problem) = await CheckAsync(EmailLinkPurpose.Confirm, token, signer, store, time, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (endpoint!.State == EndpointStates.Gone)
        {
            return Problems.NotFoundProblem(Problems.EmailEndpointNotFound, "This address was unsubscribed or removed; register it again.");
        }

        if (await store.ActivateAsync(endpoint.Id, ct))
        {
            await index.RefreshAsync([endpoint.ResidentId], ct);
            LogConfirmed(logger, endpoint.Id);
        }

        return Page("登録が完了しました", "このメールアドレスに横手市の防災情報をお届けします。<br>Your address is confirmed.");
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> UnsubscribePageAsync(string? token, EmailLinkSigner signer, EmailEndpoints store,
        TimeProvider time, CancellationToken ct)
    {
        // GET never unsubscribes: mail scanners open links. The page posts back to the same URL.
        var (_, problem) = await CheckAsync(EmailLinkPurpose.Unsubscribe, token, signer, store, time, ct);
        if (problem is not null)
        {
            return problem;
        }

        var action = "/api/email/unsubscribe?token=" + Uri.EscapeDataString(token!);
        return Page("配信停止の確認", $"""
            このメールアドレスへの防災情報メールの配信を停止しますか？<br>Stop alert e-mails to this address?
            <form method="post" action="{WebUtility.HtmlEncode(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click">
            <button type="submit">配信を停止する / Unsubscribe</button></form>
            """);
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> UnsubscribeAsync(string? token, EmailLinkSigner signer, EmailEndpoints store,
        ResidentStore residents, ResidentIndexSync index, TimeProvider time, ILogger<EmailChannel> logger, CancellationToken ct)
    {
        var (endpoint, problem) = await CheckAsync(EmailLinkPurpose.Unsubscribe, token, signer, store, time, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (endpoint!.State != EndpointStates.Gone && await residents.PruneEndpointAsync(endpoint.Id, ct) is Guid residentId)
        {
            await index.RefreshAsync([residentId], ct);
            LogUnsubscribed(logger, endpoint.Id);
        }

        return Page("配信を停止しました", "このメールアドレスへの配信を停止しました。<br>You are unsubscribed.");
    }

    private static async Task<(EmailEndpoint? Endpoint, ProblemHttpResult? Problem)> CheckAsync(EmailLinkPurpose purpose, string? token, EmailLinkSigner signer,
        EmailEndpoints store, TimeProvider time, CancellationToken ct)
    {
        if (!EmailLinkSigner.TryReadEndpointId(token, out var id))
        {
            return (null, Problems.BadRequest(Problems.EmailTokenInvalid, "The link is not valid. Copy the whole link from the e-mail."));
        }

        if (await store.FindAsync(id, ct) is not { } endpoint)
        {
            return (null, Problems.NotFoundProblem(Problems.EmailEndpointNotFound, "The address of this link is no longer registered."));
        }

        return signer.Verify(purpose, token, endpoint.Address, time.GetUtcNow()) switch
        {
            TokenCheck.Valid => (endpoint, null),
            TokenCheck.Expired => (null, Problems.BadRequest(Problems.EmailTokenExpired, "The confirmation link has expired; register the address again.")),
            _ => (null, Problems.BadRequest(Problems.EmailTokenInvalid, "The link is not valid. Copy the whole link from the e-mail.")),
        };
    }

    private static ContentHttpResult Page(string title, string html) => TypedResults.Content($"""
        <!doctype html>
        <html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>{WebUtility.HtmlEncode(title)}</title></head>
        <body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{html}</p></body></html>
        """, "text/html; charset=utf-8");

    [LoggerMessage(Level = LogLevel.Information, Message = "E-mail: endpoint {EndpointId} confirmed")]
    private static partial void LogConfirmed(ILogger logger, long endpointId);

    [LoggerMessage(Level = LogLevel.Information, Message = "E-mail: endpoint {EndpointId} unsubscribed")]
    private static partial void LogUnsubscribed(ILogger logger, long endpointId);
}

/// <summary>Checks <c>Channels:Email</c> when the hub starts.</summary>
internal sealed class EmailOptionsValidator : IValidateOptions<EmailChannelOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailChannelOptions options) =>
        EmailLinks.Validate(options) is null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Channels:Email is not valid: check FromAddress, Port, MaxConcurrency, MaxMessagesPerConnection, MaxBatchSize and LinkSigningKey.");
}
