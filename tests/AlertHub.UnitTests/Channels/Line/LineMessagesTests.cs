using System.Text.Json;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Delivery.Channels.Line;

namespace AlertHub.UnitTests.Channels.Line;

public sealed class LineMessagesTests
{
    internal static RenderedMessage Message(string language = "ja", int version = 1, string? body = null, string alertId = "0123456789abcdef0123456789abcdef",
        string headline = "【訓練】横手川 氾濫危険", string? instruction = "高い所へ避難してください。") =>
        new(alertId, version, "Alert", "Exercise", "Severe", "Immediate", "洪水", language, headline,
            body ?? "これは訓練です。横手川が氾濫危険水位に達しました。", instruction, "横手地区", new DateTimeOffset(2026, 11, 22, 1, 30, 0, TimeSpan.Zero), null);

    [Fact]
    public void Text_WithAllParts_JoinsHeadlineBodyInstructionAndArea()
    {
        var text = LineMessages.Text(Message());

        Assert.Equal("【訓練】横手川 氾濫危険\n\nこれは訓練です。横手川が氾濫危険水位に達しました。\n\n高い所へ避難してください。\n\n対象地域: 横手地区", text);
    }

    [Fact]
    public void Text_LongerThanLimit_IsCutTo5000CodeUnitsWithoutSplittingSurrogatePairs()
    {
        var body = string.Concat(Enumerable.Repeat("🌊", 3000)); // 6,000 UTF-16 code units
        var text = LineMessages.Text(Message(body: body));

        Assert.True(text.Length <= LineMessages.MaxTextLength, $"length {text.Length}");
        Assert.EndsWith("…", text, StringComparison.Ordinal);
        Assert.False(char.IsHighSurrogate(text[^2]), "a surrogate pair was split");
    }

    [Fact]
    public void Flex_BubbleHasHeadlineBodyInstructionAndShortAltText()
    {
        var m = Message(body: new string('雨', 1000));
        var json = Write(m, LineMessageFormat.Flex);

        Assert.Equal("flex", json.GetProperty("type").GetString());
        var alt = json.GetProperty("altText").GetString()!;
        Assert.True(alt.Length <= 400, $"altText {alt.Length}");
        Assert.StartsWith(m.Headline, alt, StringComparison.Ordinal);
        var bubble = json.GetProperty("contents");
        Assert.Equal("bubble", bubble.GetProperty("type").GetString());
        Assert.Equal(m.Headline, bubble.GetProperty("header").GetProperty("contents")[0].GetProperty("text").GetString());
        var texts = bubble.GetProperty("body").GetProperty("contents").EnumerateArray()
            .Where(c => c.GetProperty("type").GetString() == "text").Select(c => c.GetProperty("text").GetString()).ToList();
        Assert.Equal([m.Body, m.Instruction], texts);
        Assert.Contains("2026-11-22 10:30 JST", bubble.GetProperty("footer").GetProperty("contents")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Body_Multicast_ListsRecipientsAndAggregationUnitWhenEnabled()
    {
        var options = new LineChannelOptions { AggregationUnits = true };
        using var doc = JsonDocument.Parse(LineMessages.Body(LineSendMode.Multicast, ["U" + new string('a', 32), "U" + new string('b', 32)], Message(), options));

        Assert.Equal(2, doc.RootElement.GetProperty("to").GetArrayLength());
        Assert.Equal("text", doc.RootElement.GetProperty("messages")[0].GetProperty("type").GetString());
        var unit = doc.RootElement.GetProperty("customAggregationUnits")[0].GetString()!;
        Assert.Matches("^[A-Za-z0-9_]{1,30}$", unit);
    }

    [Fact]
    public void Body_BroadcastAndNarrowcast_HaveNoAggregationUnitAndNarrowcastNamesTheAudience()
    {
        var options = new LineChannelOptions { AggregationUnits = true, NarrowcastAudienceGroupId = 4389303728991 };
        using var broadcast = JsonDocument.Parse(LineMessages.Body(LineSendMode.Broadcast, [], Message(), options));
        using var narrowcast = JsonDocument.Parse(LineMessages.Body(LineSendMode.Narrowcast, [], Message(), options));

        Assert.False(broadcast.RootElement.TryGetProperty("to", out _));
        Assert.False(broadcast.RootElement.TryGetProperty("customAggregationUnits", out _));
        Assert.Equal(4389303728991, narrowcast.RootElement.GetProperty("recipient").GetProperty("audienceGroupId").GetInt64());
    }

    [Fact]
    public void RetryKey_SameContentInAnyOrder_IsTheSameUuid()
    {
        var a = LineMessages.RetryKey(LineSendMode.Multicast, Message(), LineMessageFormat.Text, ["U2", "U1", "U3"]);
        var b = LineMessages.RetryKey(LineSendMode.Multicast, Message(), LineMessageFormat.Text, ["U1", "U3", "U2"]);

        Assert.Equal(a, b);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", a.ToString("D"));
    }

    [Fact]
    public void RetryKey_DifferentVersionLanguageOrRecipients_Differs()
    {
        var key = LineMessages.RetryKey(LineSendMode.Multicast, Message(), LineMessageFormat.Text, ["U1", "U2"]);

        Assert.NotEqual(key, LineMessages.RetryKey(LineSendMode.Multicast, Message(version: 2), LineMessageFormat.Text, ["U1", "U2"]));
        Assert.NotEqual(key, LineMessages.RetryKey(LineSendMode.Multicast, Message(language: "en"), LineMessageFormat.Text, ["U1", "U2"]));
        Assert.NotEqual(key, LineMessages.RetryKey(LineSendMode.Multicast, Message(), LineMessageFormat.Text, ["U1", "U3"]));
        Assert.NotEqual(key, LineMessages.RetryKey(LineSendMode.Multicast, Message(), LineMessageFormat.Flex, ["U1", "U2"]));
    }

    [Fact]
    public void AggregationUnit_GuidAlertId_IsAtMost30Characters()
    {
        var unit = LineMessages.AggregationUnit("ffffffffffffffffffffffffffffffff", 1_000_000);

        Assert.NotNull(unit);
        Assert.True(unit.Length <= 30, unit);
        Assert.EndsWith("_1000000", unit, StringComparison.Ordinal);
        Assert.Null(LineMessages.AggregationUnit("not-a-guid", 1));
    }

    private static JsonElement Write(RenderedMessage m, LineMessageFormat format)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            LineMessages.WriteMessage(w, m, format);
        }

        return JsonDocument.Parse(stream.ToArray()).RootElement.Clone();
    }
}
