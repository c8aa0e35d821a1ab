using System.Security.Cryptography;
using AlertHub.Server.Features.Delivery.Channels.Email;

namespace AlertHub.UnitTests.Channels.Email;

public sealed class EmailLinkSignerTests
{
    private static readonly DateTimeOffset Now = new(2025, 7, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly EmailLinkSigner _signer = new(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void Verify_TokenItSigned_IsValidAndCarriesTheEndpointId()
    {
        var token = _signer.Sign(EmailLinkPurpose.Confirm, 42, "taro@example.jp", Now.AddDays(7));
        Assert.Equal(TokenCheck.Valid, _signer.Verify(EmailLinkPurpose.Confirm, token, "taro@example.jp", Now));
        Assert.True(EmailLinkSigner.TryReadEndpointId(token, out var id));
        Assert.Equal(42, id);
        Assert.DoesNotContain("taro", token, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_OtherPurposeAddressOrKey_IsForged()
    {
        var token = _signer.Sign(EmailLinkPurpose.Confirm, 42, "taro@example.jp", Now.AddDays(7));
        Assert.Equal(TokenCheck.Forged, _signer.Verify(EmailLinkPurpose.Unsubscribe, token, "taro@example.jp", Now));
        Assert.Equal(TokenCheck.Forged, _signer.Verify(EmailLinkPurpose.Confirm, token, "jiro@example.jp", Now));
        Assert.Equal(TokenCheck.Forged, new EmailLinkSigner(RandomNumberGenerator.GetBytes(32)).Verify(EmailLinkPurpose.Confirm, token, "taro@example.jp", Now));
        var parts = token.Split('.');
        Assert.Equal(TokenCheck.Forged, _signer.Verify(EmailLinkPurpose.Confirm, $"43.{parts[1]}.{parts[2]}", "taro@example.jp", Now));
        Assert.Equal(TokenCheck.Forged, _signer.Verify(EmailLinkPurpose.Confirm, $"42.{long.Parse(parts[1]) + 1}.{parts[2]}", "taro@example.jp", Now));
    }

    [Fact]
    public void Verify_AfterExpiry_IsExpiredButUnsubscribeNeverExpires()
    {
        var confirm = _signer.Sign(EmailLinkPurpose.Confirm, 7, "a@example.jp", Now.AddDays(7));
        Assert.Equal(TokenCheck.Expired, _signer.Verify(EmailLinkPurpose.Confirm, confirm, "a@example.jp", Now.AddDays(8)));
        var unsubscribe = _signer.Sign(EmailLinkPurpose.Unsubscribe, 7, "a@example.jp", null);
        Assert.Equal(TokenCheck.Valid, _signer.Verify(EmailLinkPurpose.Unsubscribe, unsubscribe, "a@example.jp", Now.AddYears(10)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1.2")]
    [InlineData("-1.0.abc")]
    [InlineData("0.0.abc")]
    [InlineData("1.x.abc")]
    [InlineData("1.0.")]
    public void Verify_Malformed_IsMalformed(string? token) =>
        Assert.Equal(TokenCheck.Malformed, _signer.Verify(EmailLinkPurpose.Unsubscribe, token, "a@example.jp", Now));

    [Fact]
    public void Constructor_ShortKey_Throws() => Assert.Throws<ArgumentException>(() => new EmailLinkSigner(new byte[16]));
}
