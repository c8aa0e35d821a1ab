using System.Xml.Linq;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Delivery.Channels.Telephony;

namespace AlertHub.UnitTests.Channels.Telephony;

public sealed class VoiceScriptTests
{
    private static readonly VoiceChannelOptions Options = new();

    private static RenderedMessage Message(string language, string headline, string body, string status = "Actual", string msgType = "Alert") =>
        new("a", 1, msgType, status, "Severe", "Immediate", "洪水", language, headline, body, null, "横手（デモ）", DateTimeOffset.UnixEpoch, null);

    [Fact]
    public void Spoken_JapaneseDrill_AnnouncesTheDrillInWordsNotBrackets()
    {
        var spoken = VoiceScript.Spoken(Message("ja", "【訓練】横手川 氾濫危険", "これは訓練です。横手川が氾濫危険水位に達しました。", status: "Exercise"), Options);

        Assert.Equal("横手市からのお知らせです。これは訓練です。横手川 氾濫危険。対象は、横手（デモ）です。横手川が氾濫危険水位に達しました。", spoken);
        Assert.DoesNotContain("【", spoken, StringComparison.Ordinal);
    }

    [Fact]
    public void Spoken_EasyJapanese_IsReadFromItsKana()
    {
        var spoken = VoiceScript.Spoken(Message("ja-x-easy", "【くんれん】かわの みずが あふれそうです", "これは くんれん です。高(たか)い ところへ 避難（ひなん）して ください。", status: "Exercise"), Options);

        Assert.Contains("たかい ところへ ひなんして ください。", spoken, StringComparison.Ordinal);
        Assert.DoesNotContain("避難", spoken, StringComparison.Ordinal);
        Assert.Contains("これは くんれん です。", spoken, StringComparison.Ordinal);
    }

    [Fact]
    public void ForPerson_ReadsTwiceInsideAKeypadGatherInJapanese()
    {
        var xml = XElement.Parse(VoiceScript.ForPerson("避難してください。", "ja", Options, new Uri("https://hub.example/api/telephony/gather?d=x")));

        var gather = Assert.Single(xml.Elements("Gather"));
        Assert.Equal(("1", "https://hub.example/api/telephony/gather?d=x", "POST"),
            ((string?)gather.Attribute("numDigits"), (string?)gather.Attribute("action"), (string?)gather.Attribute("method")));
        var says = gather.Elements("Say").ToList();
        Assert.Equal(3, says.Count);
        Assert.All(says, s => Assert.Equal(("ja-JP", "Polly.Mizuki"), ((string?)s.Attribute("language"), (string?)s.Attribute("voice"))));
        Assert.Equal("避難してください。", says[0].Value);
        Assert.Equal("繰り返します。避難してください。", says[1].Value);
        Assert.Contains("1 を押してください", says[2].Value, StringComparison.Ordinal);
        Assert.NotNull(xml.Element("Hangup"));
    }

    [Fact]
    public void ForMachine_LeavesTheMessageOnceWithoutAKeypad()
    {
        var xml = XElement.Parse(VoiceScript.ForMachine("避難してください。", "en", Options));

        Assert.Empty(xml.Elements("Gather"));
        var say = Assert.Single(xml.Elements("Say"));
        Assert.Equal(("en-US", "避難してください。"), ((string?)say.Attribute("language"), say.Value));
        Assert.NotNull(xml.Element("Hangup"));
    }

    [Theory]
    [InlineData("ja", "ja-JP")]
    [InlineData("ja-x-easy", "ja-JP")]
    [InlineData("en", "en-US")]
    [InlineData("ko", "ko-KR")]
    [InlineData("zh-Hans", "cmn-CN")]
    public void TwilioLanguage_MapsResidentLanguages(string language, string twilio) => Assert.Equal(twilio, VoiceScript.TwilioLanguage(language));
}
