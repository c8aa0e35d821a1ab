using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Targeting;

namespace AlertHub.UnitTests.Alerts;

public sealed class MessageRendererTests
{
    private static readonly ChannelLimits Wide = new(100, 200, 4000, 1);

    private static AlertDocument Alert(AlertStatus status = AlertStatus.Actual, MsgType type = MsgType.Alert, Dictionary<string, AlertText>? texts = null,
        string[]? fallback = null) =>
        new("a1", 1, "urn:alerthub:a1:1", "sender", DateTimeOffset.UnixEpoch, status, type, "洪水", Severity.Severe, Urgency.Immediate, Certainty.Likely,
            new AreaSpec(["x"], null, null, null), "横手", null, null,
            texts ?? new Dictionary<string, AlertText>(StringComparer.OrdinalIgnoreCase)
            {
                ["ja"] = new("避難指示", "本文", "避難してください"),
                ["en"] = new("Evacuate", "Body", "Go now"),
                ["ja-x-easy"] = new("にげて", "やさしい", null),
            },
            fallback ?? ["ja", "en"], null, [], true, 40);

    [Theory]
    [InlineData("en", "en")]
    [InlineData("en-US", "en")]
    [InlineData("ja-x-easy", "ja-x-easy")]
    [InlineData("vi", "ja")]
    [InlineData(null, "ja")]
    public void ChooseLanguage_ResidentLanguageThenPrimaryThenFallback(string? resident, string expected) =>
        Assert.Equal(expected, MessageRenderer.ChooseLanguage(Alert(), resident));

    [Fact]
    public void ChooseLanguage_NoFallbackMatch_TakesAnyText()
    {
        var alert = Alert(texts: new(StringComparer.OrdinalIgnoreCase) { ["zh"] = new("撤离", null, null) });
        Assert.Equal("zh", MessageRenderer.ChooseLanguage(alert, "en"));
    }

    [Theory]
    [InlineData(AlertStatus.Actual, MsgType.Alert, "ja", "避難指示", "本文")]
    [InlineData(AlertStatus.Exercise, MsgType.Alert, "ja", "【訓練】避難指示", "これは訓練です。本文")]
    [InlineData(AlertStatus.Test, MsgType.Alert, "ja", "【試験】避難指示", "これは試験配信です。本文")]
    [InlineData(AlertStatus.Actual, MsgType.Update, "ja", "【更新】避難指示", "本文")]
    [InlineData(AlertStatus.Exercise, MsgType.Cancel, "ja", "【訓練】【取消】避難指示", "これは訓練です。本文")]
    [InlineData(AlertStatus.Exercise, MsgType.Update, "en", "[EXERCISE] [UPDATE] Evacuate", "This is a drill. Body")]
    [InlineData(AlertStatus.Actual, MsgType.Cancel, "en", "[CANCELLED] Evacuate", "Body")]
    public void Render_MarksDrillsTestsUpdatesAndCancels(AlertStatus status, MsgType type, string language, string headline, string body)
    {
        var message = MessageRenderer.Render(Alert(status, type), language, Wide);
        Assert.Equal(headline, message.Headline);
        Assert.Equal(body, message.Body);
        Assert.Equal(language, message.Language);
        Assert.Equal(status.ToString(), message.Status);
        Assert.Equal(type.ToString(), message.MsgType);
    }

    [Fact]
    public void Render_LongTexts_TruncatedToChannelLimitsWithEllipsis()
    {
        var alert = Alert(texts: new(StringComparer.OrdinalIgnoreCase) { ["ja"] = new(new string('あ', 50), new string('い', 500), null) });
        var message = MessageRenderer.Render(alert, "ja", new ChannelLimits(10, 20, 100, 1));
        Assert.Equal(20, message.Headline.Length);
        Assert.EndsWith("…", message.Headline, StringComparison.Ordinal);
        Assert.Equal(100, message.Body.Length);
    }

    [Fact]
    public void Priority_SeverityDominatesUrgency()
    {
        Assert.True(AlertDocument.PriorityOf(Severity.Extreme, Urgency.Unknown) > AlertDocument.PriorityOf(Severity.Severe, Urgency.Immediate));
        Assert.True(AlertDocument.PriorityOf(Severity.Severe, Urgency.Immediate) > AlertDocument.PriorityOf(Severity.Severe, Urgency.Expected));
    }
}
