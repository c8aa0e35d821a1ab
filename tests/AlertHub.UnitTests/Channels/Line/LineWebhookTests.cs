using System.Security.Cryptography;
using System.Text;
using AlertHub.Server.Features.Delivery.Channels.Line;

namespace AlertHub.UnitTests.Channels.Line;

public sealed class LineWebhookTests
{
    private const string Secret = "8c570fa6dd201bb328f1c1eac23a96d8";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"destination":"Uxxx","events":[{"type":"postback","postback":{"data":"district=横手地区"}}]}""");

    [Fact]
    public void Signature_OwnSignature_IsValid()
    {
        var signature = LineWebhook.Sign(Secret, Body);

        Assert.Equal(Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Body)), signature);
        Assert.True(LineWebhook.IsValidSignature(Secret, Body, signature));
    }

    [Fact]
    public void Signature_TamperedBodyWrongSecretOrGarbage_IsInvalid()
    {
        var signature = LineWebhook.Sign(Secret, Body);
        var tampered = (byte[])Body.Clone();
        tampered[^3] ^= 1;

        Assert.False(LineWebhook.IsValidSignature(Secret, tampered, signature));
        Assert.False(LineWebhook.IsValidSignature("another-secret", Body, signature));
        Assert.False(LineWebhook.IsValidSignature(Secret, Body, null));
        Assert.False(LineWebhook.IsValidSignature(Secret, Body, "not base64!"));
        Assert.False(LineWebhook.IsValidSignature(Secret, Body, Convert.ToBase64String(new byte[16])));
        Assert.False(LineWebhook.IsValidSignature("", Body, LineWebhook.Sign("", Body)));
    }

    [Fact]
    public void ParseSettings_AllKeys_AreRead()
    {
        var s = LineWebhook.ParseSettings("district=%E6%A8%AA%E6%89%8B%E5%9C%B0%E5%8C%BA&tags=Elderly, children&lang=en");

        Assert.NotNull(s);
        Assert.Equal("横手地区", s.District);
        Assert.Equal(["elderly", "children"], s.HouseholdTags!);
        Assert.True(s.SetLanguage);
        Assert.Equal("en", s.Language);
    }

    [Fact]
    public void ParseSettings_NoneOrEmpty_ClearsTagsAndLanguage()
    {
        var s = LineWebhook.ParseSettings("tags=none&lang=");

        Assert.NotNull(s);
        Assert.Null(s.District);
        Assert.Empty(s.HouseholdTags!);
        Assert.True(s.SetLanguage);
        Assert.Null(s.Language);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("こんにちは")]
    [InlineData("action=ack&alert=123")]
    public void ParseSettings_NothingRecognisable_IsNull(string? data) => Assert.Null(LineWebhook.ParseSettings(data));
}
