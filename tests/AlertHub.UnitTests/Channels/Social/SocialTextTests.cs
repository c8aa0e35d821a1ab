using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Delivery.Channels.Social;

namespace AlertHub.UnitTests.Channels.Social;

public sealed class SocialTextTests
{
    private static RenderedMessage Message(string headline, string body, string? instruction = null) =>
        new("a", 1, "Alert", "Actual", "Severe", "Immediate", "洪水", "ja", headline, body, instruction, null, DateTimeOffset.UnixEpoch, null);

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("横手", 4)]
    [InlineData("横手 abc", 8)]
    [InlineData("see https://example.jp/a/very/long/path/that/is/long", 27)]
    [InlineData("—“quote”", 8)]
    [InlineData("😀", 2)]
    public void XLength_WeighsCjkTwiceAndUrlsAs23(string text, int expected) => Assert.Equal(expected, SocialText.XLength(text));

    [Fact]
    public void MastodonLength_CountsCodePointsAndUrlsAs23() =>
        Assert.Equal(2 + 1 + 23, SocialText.MastodonLength("😀横 https://example.jp/x"));

    [Fact]
    public void Compose_ShortText_IsKeptWhole()
    {
        var text = SocialText.Compose(Message("見出し", "本文", "避難"), "https://h/x.xml", 280, SocialText.XLength);
        Assert.Equal("見出し\n本文\n避難", text);
    }

    [Theory]
    [InlineData(280)]
    [InlineData(100)]
    [InlineData(60)]
    public void Compose_LongText_CutToLimitWithEllipsisAndLink(int limit)
    {
        var text = SocialText.Compose(Message("見出し", new string('あ', 500)), "https://alerts.example.jp/feeds/cap/a/1.xml", limit, SocialText.XLength);
        Assert.EndsWith("…\nhttps://alerts.example.jp/feeds/cap/a/1.xml", text, StringComparison.Ordinal);
        Assert.InRange(SocialText.XLength(text), limit - 2, limit);
    }

    [Fact]
    public void Compose_NeverSplitsASurrogatePair()
    {
        var text = SocialText.Compose(Message("h", string.Concat(Enumerable.Repeat("😀", 300))), "https://x/y", 101, SocialText.XLength);
        var cut = text[..text.IndexOf('…', StringComparison.Ordinal)];
        Assert.False(char.IsHighSurrogate(cut[^1]));
    }
}
