using System.Text.Json;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Delivery.Channels.WebPush;

namespace AlertHub.UnitTests.Channels.WebPush;

public sealed class WebPushPayloadTests
{
    private static readonly DateTimeOffset Now = new(2025, 7, 1, 9, 0, 0, TimeSpan.FromHours(9));

    private static RenderedMessage Message(string body = "横手川が氾濫危険水位に達しました。", string? instruction = "高い所へ避難してください。",
        string severity = "Severe", DateTimeOffset? expires = null, int version = 1) =>
        new("A-20250701-0001", version, "Alert", "Exercise", severity, "Immediate", "洪水", "ja", "【訓練】横手川 氾濫危険", body, instruction, "横手市",
            Now, expires);

    [Fact]
    public void Build_ShortMessage_HasEveryFieldTheServiceWorkerShows()
    {
        var json = WebPushPayload.Build(Message(), "A-20250701-0001:1:abc:webpush", "https://bousai.example.jp/?alert=A-20250701-0001")!;

        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("【訓練】横手川 氾濫危険", root.GetProperty("title").GetString());
        Assert.Equal("横手川が氾濫危険水位に達しました。\n高い所へ避難してください。", root.GetProperty("body").GetString());
        Assert.Equal("A-20250701-0001", root.GetProperty("alertId").GetString());
        Assert.Equal(1, root.GetProperty("version").GetInt32());
        Assert.Equal("Alert", root.GetProperty("msgType").GetString());
        Assert.Equal("Exercise", root.GetProperty("status").GetString());
        Assert.Equal("Severe", root.GetProperty("severity").GetString());
        Assert.Equal("A-20250701-0001:1:abc:webpush", root.GetProperty("idempotencyKey").GetString());
        Assert.Equal("https://bousai.example.jp/?alert=A-20250701-0001", root.GetProperty("url").GetString());
        Assert.StartsWith("{\"title\":\"【訓練】横手川", System.Text.Encoding.UTF8.GetString(json), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2000, "あ")]
    [InlineData(5000, "a")]
    [InlineData(1500, "😀")]
    [InlineData(3000, "\n")]
    public void Build_BodyTooLongForOneRecord_IsCutToFitWithEllipsis(int repeat, string unit)
    {
        var body = string.Concat(Enumerable.Repeat(unit, repeat));

        var json = WebPushPayload.Build(Message(body, instruction: null), "k", "https://bousai.example.jp/")!;

        Assert.InRange(json.Length, WebPushEncryption.MaxPlaintextLength - 16, WebPushEncryption.MaxPlaintextLength);
        using var doc = JsonDocument.Parse(json);
        var cut = doc.RootElement.GetProperty("body").GetString()!;
        Assert.EndsWith("…", cut, StringComparison.Ordinal);
        Assert.StartsWith(cut[..^1], body, StringComparison.Ordinal);
        Assert.False(char.IsHighSurrogate(cut[^2]));
    }

    [Fact]
    public void Build_NothingFitsEvenWithoutBody_ReturnsNull() =>
        Assert.Null(WebPushPayload.Build(Message(), "k", "https://bousai.example.jp/" + new string('x', 4000)));

    [Fact]
    public void TopicFor_AlertId_Is32UrlSafeCharsStableAcrossVersionsAndDistinctPerAlert()
    {
        var topic = WebPushPayload.TopicFor("A-20250701-0001");

        Assert.Equal(32, topic.Length);
        Assert.Matches("^[A-Za-z0-9_-]{32}$", topic);
        Assert.Equal(topic, WebPushPayload.TopicFor("A-20250701-0001"));
        Assert.NotEqual(topic, WebPushPayload.TopicFor("A-20250701-0002"));
    }

    [Theory]
    [InlineData("Extreme", "high")]
    [InlineData("Severe", "high")]
    [InlineData("Moderate", "normal")]
    [InlineData("Minor", "normal")]
    [InlineData("Unknown", "normal")]
    public void UrgencyFor_Severity_HighOnlyForSevereAndExtreme(string severity, string urgency) =>
        Assert.Equal(urgency, WebPushPayload.UrgencyFor(Message(severity: severity)));

    [Fact]
    public void TimeToLive_AlertExpiresSooner_IsCappedByExpiry()
    {
        Assert.Equal(86400, WebPushPayload.TimeToLive(Message(), TimeSpan.FromHours(24), Now));
        Assert.Equal(5400, WebPushPayload.TimeToLive(Message(expires: Now.AddMinutes(90)), TimeSpan.FromHours(24), Now));
        Assert.Equal(0, WebPushPayload.TimeToLive(Message(expires: Now.AddMinutes(-5)), TimeSpan.FromHours(24), Now));
    }
}
