using System.Globalization;
using System.Net;
using System.Text;
using AlertHub.Core.Delivery;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Text;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

/// <summary>
/// Builds the mails: UTF-8 text/plain in base64 (decodes the same in every client, whatever the relays do with
/// 8-bit data), RFC 2047 encoded Japanese headers, a personal one-click unsubscribe link (RFC 2369 + RFC 8058)
/// and a Message-ID derived from the idempotency key, so a retried send is recognisable as the same message.
/// </summary>
internal sealed class EmailMessageBuilder(IOptions<EmailChannelOptions> options, IOptions<HubOptions> hub, EmailLinkSigner signer, TimeProvider time)
{
    public const string DeliveryIdHeader = "X-AlertHub-Delivery-Id";
    public const string AlertIdHeader = "X-AlertHub-Alert-Id";
    public const string AlertVersionHeader = "X-AlertHub-Alert-Version";
    public const string PurposeHeader = "X-AlertHub-Purpose";

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public string UnsubscribeUrl(long endpointId, string address) =>
        Link("unsubscribe", signer.Sign(EmailLinkPurpose.Unsubscribe, endpointId, address, null));

    public string ConfirmUrl(long endpointId, string address, DateTimeOffset expires) =>
        Link("confirm", signer.Sign(EmailLinkPurpose.Confirm, endpointId, address, expires));

    public MimeMessage BuildAlert(DeliveryItem item, long endpointId)
    {
        var m = item.Message;
        var japanese = m.Language.StartsWith("ja", StringComparison.OrdinalIgnoreCase);
        var unsubscribe = UnsubscribeUrl(endpointId, item.Address);
        var text = new StringBuilder();
        text.Append(m.Headline).Append("\n\n");
        if (m.Body.Length > 0)
        {
            text.Append(m.Body).Append("\n\n");
        }

        if (!string.IsNullOrEmpty(m.Instruction))
        {
            text.Append(m.Instruction).Append("\n\n");
        }

        if (!string.IsNullOrEmpty(m.AreaName))
        {
            text.Append(japanese ? "対象地域: " : "Area: ").Append(m.AreaName).Append('\n');
        }

        text.Append(japanese ? "発表日時: " : "Issued: ").Append(FormatJst(m.Sent, japanese)).Append('\n');
        if (m.Expires is { } expires)
        {
            text.Append(japanese ? "有効期限: " : "Expires: ").Append(FormatJst(expires, japanese)).Append('\n');
        }

        if (m.ImageUrl is { } imageUrl)
        {
            text.Append(japanese ? "写真: " : "Photo: ").Append(imageUrl).Append('\n');
        }

        AppendFooter(text, japanese, unsubscribe);
        var message = NewMessage(item.Address, m.Headline, text.ToString(), MessageId(item.IdempotencyKey));
        if (m.ImageUrl is not null)
        {
            // The picture goes in an HTML alternative that links to the public copy (nothing is attached, so the
            // mail stays small); clients that block remote images still have the text part with the link.
            var alternative = new MultipartAlternative { message.Body!, HtmlPart(m, text.ToString()) };
            message.Body = alternative;
        }

        message.Headers.Add("List-Unsubscribe", $"<{unsubscribe}>");
        message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        message.Headers.Add(DeliveryIdHeader, item.IdempotencyKey);
        message.Headers.Add(AlertIdHeader, m.AlertId);
        message.Headers.Add(AlertVersionHeader, m.Version.ToString(CultureInfo.InvariantCulture));
        message.Headers.Add(PurposeHeader, "alert");
        if (m.Status is "Exercise" or "Test")
        {
            message.Headers.Add("X-AlertHub-Status", m.Status);
        }

        return message;
    }

    public MimeMessage BuildConfirmation(long endpointId, string address)
    {
        var expires = time.GetUtcNow() + options.Value.ConfirmationLinkLifetime;
        var link = ConfirmUrl(endpointId, address, expires);
        var o = options.Value;
        var text = new StringBuilder()
            .Append(o.FromName).Append("への登録を受け付けました。\n")
            .Append("次のリンクを開くと登録が完了し、防災情報がこのアドレスに届くようになります。\n\n")
            .Append(link).Append("\n\n")
            .Append("リンクの有効期限: ").Append(FormatJst(expires, japanese: true)).Append('\n')
            .Append("お心当たりのない場合は、このメールを破棄してください（登録は完了しません）。\n\n")
            .Append("To confirm your subscription to Yokote City's safety mail, open the link above.\n")
            .ToString();
        var message = NewMessage(address, $"【{o.FromName}】メールアドレスの確認", text,
            $"confirm.{endpointId}.{Guid.NewGuid():N}@{MessageIdDomain()}");
        message.Headers.Add(PurposeHeader, "confirmation");
        return message;
    }

    /// <summary>Message-ID from the idempotency key: the same delivery always carries the same id (RFC 5322 dot-atom).</summary>
    public string MessageId(string idempotencyKey)
    {
        var left = new StringBuilder(idempotencyKey.Length);
        foreach (var c in idempotencyKey)
        {
            left.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '.');
        }

        return $"{left}@{MessageIdDomain()}";
    }

    public static string FormatJst(DateTimeOffset at, bool japanese) =>
        japanese
            ? at.ToOffset(Jst).ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture) + "（日本時間）"
            : at.ToOffset(Jst).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " JST";

    private MimeMessage NewMessage(string to, string subject, string text, string messageId)
    {
        var o = options.Value;
        var message = new MimeMessage
        {
            Subject = subject,
            MessageId = messageId,
            Date = time.GetUtcNow(),
        };
        message.From.Add(new MailboxAddress(o.FromName, o.FromAddress));
        // Not MailboxAddress.Parse: it turns a punycode domain back into Unicode, and MailKit would then insist on
        // SMTPUTF8 and write raw UTF-8 headers. The stored address is ASCII and is sent as such.
        message.To.Add(new MailboxAddress("", to));
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var body = new TextPart(TextFormat.Plain) { ContentTransferEncoding = ContentEncoding.Base64 };
        body.SetText(Encoding.UTF8, text.Replace("\n", "\r\n", StringComparison.Ordinal));
        message.Body = body;
        return message;
    }

    private static TextPart HtmlPart(RenderedMessage m, string text)
    {
        var html = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
        html.Append("<h1 style=\"font-size:1.2em\">").Append(WebUtility.HtmlEncode(m.Headline)).Append("</h1>");
        html.Append("<p><img src=\"").Append(WebUtility.HtmlEncode(m.ImageUrl)).Append("\" alt=\"").Append(WebUtility.HtmlEncode(m.Event))
            .Append("\" style=\"max-width:100%;height:auto\"></p>");
        var lines = text.Split('\n');
        // The text after the headline, line by line (it already holds the body, instructions, area, times and footer).
        html.Append("<div style=\"white-space:pre-wrap\">").Append(WebUtility.HtmlEncode(string.Join('\n', lines.Skip(2)))).Append("</div>");
        html.Append("</body></html>");
        var part = new TextPart(TextFormat.Html) { ContentTransferEncoding = ContentEncoding.Base64 };
        part.SetText(Encoding.UTF8, html.ToString().Replace("\n", "\r\n", StringComparison.Ordinal));
        return part;
    }

    private void AppendFooter(StringBuilder text, bool japanese, string unsubscribe)
    {
        text.Append("\n――――――――――\n").Append(options.Value.FromName).Append('\n');
        text.Append(japanese ? "配信停止: " : "Unsubscribe: ").Append(unsubscribe).Append('\n');
        text.Append(japanese ? "このメールは送信専用です。返信はできません。\n" : "This is an automated message; replies are not read.\n");
    }

    private string MessageIdDomain()
    {
        var o = options.Value;
        if (!string.IsNullOrWhiteSpace(o.MessageIdDomain))
        {
            return o.MessageIdDomain;
        }

        var at = o.FromAddress.LastIndexOf('@');
        return at >= 0 ? o.FromAddress[(at + 1)..] : "alerthub.invalid";
    }

    private string Link(string action, string token) =>
        $"{hub.Value.PublicBaseUrl.TrimEnd('/')}/api/email/{action}?token={Uri.EscapeDataString(token)}";
}
