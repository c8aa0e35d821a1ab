using System.Security.Cryptography;
using System.Text;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Delivery.Channels.Email;
using AlertHub.Server.Infrastructure;
using AlertHub.UnitTests.Targeting;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace AlertHub.UnitTests.Channels.Email;

public sealed class EmailMessageBuilderTests
{
    private static readonly DateTimeOffset Sent = new(2025, 7, 1, 23, 30, 0, TimeSpan.Zero);
    private readonly EmailLinkSigner _signer = new(RandomNumberGenerator.GetBytes(32));

    private EmailMessageBuilder Builder(string language = "ja") => new(
        Options.Create(new EmailChannelOptions { FromAddress = "anzen@city.yokote.test" }),
        Options.Create(new HubOptions { PublicBaseUrl = "https://bousai.example.jp/" }), _signer, new FakeTimeProvider(Sent));

    private static DeliveryItem Item(string language = "ja") => new(7, "a1b2:3:0123456789abcdef0123456789abcdef:email", Guid.NewGuid(), "taro@example.jp", null,
        new RenderedMessage("a1b2", 3, "Update", "Actual", "Severe", "Immediate", "洪水", language, "【更新】横手川 氾濫危険",
            "横手川が氾濫危険水位に達しました。", "高い所へ避難してください。", "横手地域", Sent, Sent.AddHours(6)));

    [Fact]
    public void BuildAlert_Japanese_WritesEncodedHeadersAndBase64Utf8BodyThatRoundTrips()
    {
        var message = Builder().BuildAlert(Item(), 99);
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default, stream);
        var raw = stream.ToArray();
        var headers = Encoding.Latin1.GetString(raw).Split("\r\n\r\n")[0];
        Assert.DoesNotContain(headers, c => c > 127);
        Assert.Contains("Content-Transfer-Encoding: base64", headers, StringComparison.Ordinal);
        Assert.Contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click", headers, StringComparison.Ordinal);
        Assert.Contains("Auto-Submitted: auto-generated", headers, StringComparison.Ordinal);

        var parsed = MimeMessage.Load(new MemoryStream(raw));
        Assert.Equal("【更新】横手川 氾濫危険", parsed.Subject);
        Assert.Equal("a1b2.3.0123456789abcdef0123456789abcdef.email@city.yokote.test", parsed.MessageId);
        Assert.Equal("a1b2:3:0123456789abcdef0123456789abcdef:email", parsed.Headers["X-AlertHub-Delivery-Id"]);
        Assert.Equal("a1b2", parsed.Headers["X-AlertHub-Alert-Id"]);
        Assert.Equal("3", parsed.Headers["X-AlertHub-Alert-Version"]);
        var text = parsed.TextBody!.ReplaceLineEndings("\n");
        Assert.Contains("対象地域: 横手地域\n", text, StringComparison.Ordinal);
        Assert.Contains("発表日時: 2025年7月2日 08:30（日本時間）\n", text, StringComparison.Ordinal);
        Assert.Contains("有効期限: 2025年7月2日 14:30（日本時間）\n", text, StringComparison.Ordinal);

        var link = parsed.Headers["List-Unsubscribe"]!.Trim('<', '>');
        Assert.Contains("配信停止: " + link + "\n", text, StringComparison.Ordinal);
        Assert.StartsWith("https://bousai.example.jp/api/email/unsubscribe?token=", link, StringComparison.Ordinal);
        var token = Uri.UnescapeDataString(link[(link.IndexOf('=') + 1)..]);
        Assert.Equal(TokenCheck.Valid, _signer.Verify(EmailLinkPurpose.Unsubscribe, token, "taro@example.jp", Sent.AddYears(1)));
        Assert.True(EmailLinkSigner.TryReadEndpointId(token, out var endpointId));
        Assert.Equal(99, endpointId);
    }

    [Fact]
    public void BuildAlert_English_UsesEnglishLabels()
    {
        var text = Builder().BuildAlert(Item("en"), 1).TextBody!;
        Assert.Contains("Issued: 2025-07-02 08:30 JST", text, StringComparison.Ordinal);
        Assert.Contains("Unsubscribe: https://", text, StringComparison.Ordinal);
    }

    [Fact]
    public void MessageId_SameKey_IsStableAndDotAtom()
    {
        var builder = Builder();
        Assert.Equal(builder.MessageId("x:1:r:email"), builder.MessageId("x:1:r:email"));
        Assert.Equal("x.1.r.email@city.yokote.test", builder.MessageId("x:1:r:email"));
    }

    [Fact]
    public void BuildConfirmation_CarriesAVerifiableExpiringLink()
    {
        var message = Builder().BuildConfirmation(5, "taro@example.jp");
        Assert.Equal("confirmation", message.Headers["X-AlertHub-Purpose"]);
        Assert.Null(message.Headers["List-Unsubscribe"]);
        var match = System.Text.RegularExpressions.Regex.Match(message.TextBody!, @"https://bousai\.example\.jp/api/email/confirm\?token=(\S+)");
        Assert.True(match.Success, message.TextBody);
        var token = Uri.UnescapeDataString(match.Groups[1].Value);
        Assert.Equal(TokenCheck.Valid, _signer.Verify(EmailLinkPurpose.Confirm, token, "taro@example.jp", Sent.AddDays(6)));
        Assert.Equal(TokenCheck.Expired, _signer.Verify(EmailLinkPurpose.Confirm, token, "taro@example.jp", Sent.AddDays(8)));
    }
}

public sealed class EmailClassifyTests
{
    private static readonly TimeSpan Throttle = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(SmtpErrorCode.RecipientNotAccepted, 550, "5.1.1 User unknown", DeliveryOutcome.AddressGone)]
    [InlineData(SmtpErrorCode.RecipientNotAccepted, 551, "5.1.6 User not local", DeliveryOutcome.AddressGone)]
    [InlineData(SmtpErrorCode.RecipientNotAccepted, 553, "5.1.3 Bad address syntax", DeliveryOutcome.AddressGone)]
    [InlineData(SmtpErrorCode.RecipientNotAccepted, 552, "5.5.3 Too many recipients", DeliveryOutcome.Transient)]
    [InlineData(SmtpErrorCode.RecipientNotAccepted, 554, "5.7.1 Relay access denied", DeliveryOutcome.Rejected)]
    [InlineData(SmtpErrorCode.RecipientNotAccepted, 451, "4.3.0 Try again later", DeliveryOutcome.Transient)]
    [InlineData(SmtpErrorCode.RecipientNotAccepted, 450, "4.2.1 Mailbox busy", DeliveryOutcome.Transient)]
    [InlineData(SmtpErrorCode.RecipientNotAccepted, 450, "4.7.1 Rate limited, slow down", DeliveryOutcome.Throttled)]
    [InlineData(SmtpErrorCode.UnexpectedStatusCode, 421, "4.7.0 Too many connections", DeliveryOutcome.Throttled)]
    [InlineData(SmtpErrorCode.MessageNotAccepted, 554, "5.6.0 Content rejected", DeliveryOutcome.Rejected)]
    [InlineData(SmtpErrorCode.MessageNotAccepted, 452, "4.3.1 Insufficient storage", DeliveryOutcome.Transient)]
    [InlineData(SmtpErrorCode.SenderNotAccepted, 550, "5.7.1 Sender refused", DeliveryOutcome.Transient)]
    public void Classify_SmtpReply_FollowsReplyClass(SmtpErrorCode error, int status, string text, DeliveryOutcome expected)
    {
        var result = EmailChannel.Classify(3, new SmtpCommandException(error, (SmtpStatusCode)status, text), Throttle);
        Assert.Equal(expected, result.Outcome);
        Assert.Equal(3, result.WorkId);
        Assert.StartsWith($"SMTP {status}", result.Detail, StringComparison.Ordinal);
        Assert.Equal(expected == DeliveryOutcome.Throttled ? Throttle : null, result.RetryAfter);
    }
}
