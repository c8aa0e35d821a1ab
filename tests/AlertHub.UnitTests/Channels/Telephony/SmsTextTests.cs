using AlertHub.Server.Features.Delivery.Channels.Telephony;

namespace AlertHub.UnitTests.Channels.Telephony;

public sealed class SmsTextTests
{
    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    [InlineData(201, 3)]
    [InlineData(202, 4)]
    public void Measure_Japanese_IsUcs2With70InOneAnd67PerPart(int length, int segments)
    {
        var m = SmsText.Measure(new string('避', length));

        Assert.False(m.Gsm7);
        Assert.Equal((length, segments), (m.Units, m.Segments));
    }

    [Theory]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    public void Measure_PlainAscii_IsGsm7With160And153(int length, int segments) =>
        Assert.Equal((true, segments), (SmsText.Measure(new string('a', length)).Gsm7, SmsText.Measure(new string('a', length)).Segments));

    [Fact]
    public void Measure_GsmExtensionCharacters_CountTwo() => Assert.Equal(2 * 80, SmsText.Measure(new string('€', 80)).Units);

    [Fact]
    public void Measure_SurrogatePairAtAPartBoundary_MovesWholeToTheNextPart()
    {
        // 66 units, then a 2-unit character: it cannot be split over parts 1 and 2, so part 1 carries 66 units.
        var text = new string('あ', 66) + "𠮷" + new string('い', 66);

        Assert.Equal((134, 3), (SmsText.Measure(text).Units, SmsText.Measure(text).Segments));
    }

    [Fact]
    public void Fit_LongJapaneseMessage_FitsTheSegmentsAndKeepsTheWholeLink()
    {
        const string link = "https://bousai.city.yokote.example/t/0123456789ab";
        var text = "【訓練】横手川 氾濫危険\n" + string.Concat(Enumerable.Repeat("横手川が氾濫危険水位に達しました。高い所へ避難してください。", 10));

        var fitted = SmsText.Fit(text, link, maxSegments: 2);

        var m = SmsText.Measure(fitted);
        Assert.False(m.Gsm7);
        Assert.True(m.Units <= 134, $"{m.Units} units");
        Assert.Equal(2, m.Segments);
        Assert.EndsWith("…\n" + link, fitted, StringComparison.Ordinal);
        Assert.StartsWith("【訓練】横手川 氾濫危険\n横手川が", fitted, StringComparison.Ordinal);
        // One more character of the text would not fit: the cut is as late as it can be.
        Assert.Equal(134, m.Units);
    }

    [Fact]
    public void Fit_ShortMessage_IsSentWholeInOneSegment()
    {
        var fitted = SmsText.Fit("【訓練】避難指示 発令", "https://x.example/t/0123456789ab", 2);

        Assert.Equal("【訓練】避難指示 発令\nhttps://x.example/t/0123456789ab", fitted);
        Assert.Equal(1, SmsText.Measure(fitted).Segments);
    }

    [Fact]
    public void Fit_NeverCutsASurrogatePairInHalf()
    {
        var text = string.Concat(Enumerable.Repeat("𠮷", 100));

        var fitted = SmsText.Fit(text, "https://x/t/0123456789ab", 1);

        Assert.DoesNotContain(fitted, c => char.IsHighSurrogate(c) && fitted.IndexOf(c) == fitted.Length - 1);
        Assert.True(fitted.Split('…')[0].Length % 2 == 0);
        Assert.Equal(1, SmsText.Measure(fitted).Segments);
    }
}
