using AlertHub.Server.Features.Delivery.Channels.Telephony;

namespace AlertHub.UnitTests.Channels.Telephony;

public sealed class TwilioSignatureTests
{
    private const string Token = "12345678901234567890123456789012";
    private const string Url = "https://hub.example/api/telephony/status?d=abc%3A1%3Aff%3Avoice%3A1";

    private static readonly Dictionary<string, string> Form = new()
    {
        ["CallSid"] = "CA0123456789abcdef0123456789abcdef",
        ["AccountSid"] = "AC0123456789abcdef0123456789abcdef",
        ["CallStatus"] = "completed",
        ["To"] = "+81182322111",
        ["AnsweredBy"] = "human",
        ["Digits"] = "1",
    };

    [Fact]
    public void Compute_AgreesWithTheTwilioSdksRequestValidator()
    {
        var signature = TwilioSignature.Compute(Token, Url, Form);

        Assert.True(new Twilio.Security.RequestValidator(Token).Validate(Url, Form, signature));
        Assert.True(TwilioSignature.IsValid(Token, Url, Form, signature));
    }

    [Fact]
    public void IsValid_TamperedParameterUrlOrToken_IsFalse()
    {
        var signature = TwilioSignature.Compute(Token, Url, Form);

        Assert.False(TwilioSignature.IsValid(Token, Url, new Dictionary<string, string>(Form) { ["Digits"] = "2" }, signature));
        Assert.False(TwilioSignature.IsValid(Token, Url.Replace("hub.example", "hub.example:443", StringComparison.Ordinal), Form, signature));
        Assert.False(TwilioSignature.IsValid("another-token-0000000000000000000", Url, Form, signature));
        Assert.False(TwilioSignature.IsValid(Token, Url, Form, null));
    }
}
