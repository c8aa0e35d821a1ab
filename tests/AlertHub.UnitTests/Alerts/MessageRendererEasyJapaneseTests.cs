using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Targeting;

namespace AlertHub.UnitTests.Alerts;

/// <summary>やさしい日本語 readers get the drill marker in kana: 【くんれん】 / 「これは くんれん です。」, never 訓練.</summary>
public sealed class MessageRendererEasyJapaneseTests
{
    private static AlertDocument Drill(MsgType type) =>
        new("a1", 1, "urn:alerthub:a1:1", "sender", DateTimeOffset.UnixEpoch, AlertStatus.Exercise, type, "地震", Severity.Severe, Urgency.Immediate,
            Certainty.Observed, new AreaSpec(["x"], null, null, null), "横手市", null, null,
            new Dictionary<string, AlertText>(StringComparer.OrdinalIgnoreCase)
            {
                ["ja"] = new("横手市で震度5弱の地震がありました（気象庁）", "本文", null),
                ["ja-x-easy"] = new("横手市（よこてし）で しんど 5じゃく の じしん が ありました（きしょうちょう）", "ほんぶん", null),
            },
            ["ja"], null, [], true, 40);

    [Theory]
    [InlineData(MsgType.Alert, "【くんれん】横手市（よこてし）で しんど 5じゃく の じしん が ありました（きしょうちょう）")]
    [InlineData(MsgType.Update, "【くんれん】【更新】横手市（よこてし）で しんど 5じゃく の じしん が ありました（きしょうちょう）")]
    public void Render_ExerciseInEasyJapanese_SaysKunrenInKana(MsgType type, string headline)
    {
        var message = MessageRenderer.Render(Drill(type), "ja-x-easy", new ChannelLimits(100, 200, 4000, 1));

        Assert.Equal(headline, message.Headline);
        Assert.Equal("これは くんれん です。ほんぶん", message.Body);
        Assert.DoesNotContain("訓練", message.Headline + message.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ExerciseInJapanese_StillSaysKunrenInKanji()
    {
        var message = MessageRenderer.Render(Drill(MsgType.Alert), "ja", new ChannelLimits(100, 200, 4000, 1));

        Assert.Equal("【訓練】横手市で震度5弱の地震がありました（気象庁）", message.Headline);
        Assert.Equal("これは訓練です。本文", message.Body);
    }
}
