using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Delivery.Channels.Email;
using AlertHub.Server.Features.Delivery.Channels.Fcm;
using AlertHub.Server.Features.Delivery.Channels.Line;
using AlertHub.Server.Features.Delivery.Channels.Social;
using AlertHub.Server.Features.Delivery.Channels.WebPush;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Features.Targeting;
using AlertHub.Server.Infrastructure;
using AlertHub.UnitTests.Targeting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace AlertHub.UnitTests.DronePhotos;

/// <summary>How each channel carries an alert's picture: the image itself where the provider can fetch it, a link otherwise.</summary>
public sealed class AlertImageRenderingTests
{
    private const string HttpsImage = "https://bousai.example.jp/media/alert-images/0123456789abcdef0123456789abcdef.jpg";
    private const string HttpsSmall = "https://bousai.example.jp/media/alert-images/0123456789abcdef0123456789abcdef-small.jpg";
    private const string HttpImage = "http://localhost:5080/media/alert-images/0123456789abcdef0123456789abcdef.jpg";
    private const string HttpSmall = "http://localhost:5080/media/alert-images/0123456789abcdef0123456789abcdef-small.jpg";
    private static readonly DateTimeOffset Sent = new(2026, 9, 1, 1, 30, 0, TimeSpan.Zero);

    private static RenderedMessage Message(string? image, string? small, string language = "ja") =>
        new("a1b2", 1, "Alert", "Actual", "Severe", "Immediate", "土砂災害", language, "土砂崩れ発生", "横手川左岸で土砂崩れ。", "近づかないでください。",
            "横手地域", Sent, Sent.AddHours(6)) { ImageUrl = image, ImageSmallUrl = small };

    private static DeliveryItem Item(RenderedMessage m) => new(1, "a1b2:1:r:fcm", Guid.NewGuid(), "token-" + new string('x', 140), null, m);

    [Fact]
    public void Fcm_HttpsImage_GoesToEveryPlatformBlockAndTheData()
    {
        var json = JsonNode.Parse(FcmPayload.Build(Item(Message(HttpsImage, HttpsSmall)), new FcmChannelOptions(), Sent))!["message"]!;

        Assert.Equal(HttpsImage, json["notification"]!["image"]!.GetValue<string>());
        Assert.Equal(HttpsImage, json["android"]!["notification"]!["image"]!.GetValue<string>());
        Assert.Equal(HttpsImage, json["apns"]!["fcm_options"]!["image"]!.GetValue<string>());
        Assert.Equal(1, json["apns"]!["payload"]!["aps"]!["mutable-content"]!.GetValue<int>());
        Assert.Equal(HttpsImage, json["webpush"]!["notification"]!["image"]!.GetValue<string>());
        Assert.Equal(HttpsImage, json["data"]!["imageUrl"]!.GetValue<string>());
    }

    [Fact]
    public void Fcm_HttpImage_OnlyTheDataCarriesTheLink()
    {
        var json = JsonNode.Parse(FcmPayload.Build(Item(Message(HttpImage, HttpSmall)), new FcmChannelOptions(), Sent))!["message"]!;

        Assert.Null(json["notification"]!["image"]);
        Assert.Null(json["android"]!["notification"]!["image"]);
        Assert.Null(json["apns"]!["fcm_options"]);
        Assert.Equal(HttpImage, json["data"]!["imageUrl"]!.GetValue<string>());
    }

    [Fact]
    public void Fcm_NoImage_HasNoImageKeys()
    {
        var text = System.Text.Encoding.UTF8.GetString(FcmPayload.Build(Item(Message(null, null)), new FcmChannelOptions(), Sent));

        Assert.DoesNotContain("image", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("mutable-content", text, StringComparison.Ordinal);
    }

    [Fact]
    public void WebPush_Image_IsInThePayloadWithinTheSizeLimit()
    {
        var long1 = Message(HttpsImage, HttpsSmall) with { Body = new string('あ', 3000) };

        var payload = WebPushPayload.Build(long1, "a1b2:1:r:webpush", "https://bousai.example.jp/?alert=a1b2")!;

        Assert.InRange(payload.Length, 1, WebPushEncryption.MaxPlaintextLength);
        using var doc = JsonDocument.Parse(payload);
        Assert.Equal(HttpsImage, doc.RootElement.GetProperty("image").GetString());
    }

    [Theory]
    [InlineData(LineMessageFormat.Text)]
    [InlineData(LineMessageFormat.Flex)]
    public void Line_HttpsImage_IsASecondImageMessage(LineMessageFormat format)
    {
        var body = LineMessages.Body(LineSendMode.Push, ["U" + new string('a', 32)], Message(HttpsImage, HttpsSmall), new LineChannelOptions { MessageFormat = format });

        using var doc = JsonDocument.Parse(body);
        var messages = doc.RootElement.GetProperty("messages");
        Assert.Equal(2, messages.GetArrayLength());
        var image = messages[1];
        Assert.Equal("image", image.GetProperty("type").GetString());
        Assert.Equal(HttpsImage, image.GetProperty("originalContentUrl").GetString());
        Assert.Equal(HttpsSmall, image.GetProperty("previewImageUrl").GetString());
        Assert.DoesNotContain(Strings(messages[0]), t => t.Contains(HttpsImage, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(LineMessageFormat.Text)]
    [InlineData(LineMessageFormat.Flex)]
    public void Line_HttpImage_IsALinkInTheTextAndNoImageMessage(LineMessageFormat format)
    {
        var body = LineMessages.Body(LineSendMode.Push, ["U" + new string('a', 32)], Message(HttpImage, HttpSmall), new LineChannelOptions { MessageFormat = format });

        using var doc = JsonDocument.Parse(body);
        var messages = doc.RootElement.GetProperty("messages");
        Assert.Equal(1, messages.GetArrayLength());
        Assert.Contains(Strings(messages[0]), t => t.EndsWith("写真: " + HttpImage, StringComparison.Ordinal));
    }

    [Fact]
    public void Line_TooLongUrl_IsALinkNotAnImageMessage()
    {
        var longUrl = "https://bousai.example.jp/" + new string('a', 2000) + ".jpg";

        var body = LineMessages.Body(LineSendMode.Push, ["U" + new string('a', 32)], Message(longUrl, HttpsSmall), new LineChannelOptions());

        using var doc = JsonDocument.Parse(body);
        Assert.Equal(1, doc.RootElement.GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public void Email_Image_AddsAnHtmlAlternativeWithTheImgAndALinkInTheText()
    {
        var builder = new EmailMessageBuilder(Options.Create(new EmailChannelOptions { FromAddress = "anzen@city.yokote.test" }),
            Options.Create(new HubOptions { PublicBaseUrl = "https://bousai.example.jp/" }), new EmailLinkSigner(RandomNumberGenerator.GetBytes(32)),
            new FakeTimeProvider(Sent));
        var message = builder.BuildAlert(new DeliveryItem(1, "a1b2:1:r:email", Guid.NewGuid(), "taro@example.jp", null, Message(HttpsImage, HttpsSmall)), 5);

        var alternative = Assert.IsType<MultipartAlternative>(message.Body);
        var text = alternative.OfType<TextPart>().Single(p => p.IsPlain).Text;
        var html = alternative.OfType<TextPart>().Single(p => p.IsHtml).Text;
        Assert.Contains("写真: " + HttpsImage, text, StringComparison.Ordinal);
        Assert.Contains($"<img src=\"{HttpsImage}\"", html, StringComparison.Ordinal);
        Assert.Contains("近づかないでください。", html, StringComparison.Ordinal);
        Assert.Contains("土砂崩れ発生", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Email_NoImage_StaysASingleTextPart()
    {
        var builder = new EmailMessageBuilder(Options.Create(new EmailChannelOptions { FromAddress = "anzen@city.yokote.test" }),
            Options.Create(new HubOptions()), new EmailLinkSigner(RandomNumberGenerator.GetBytes(32)), new FakeTimeProvider(Sent));

        var message = builder.BuildAlert(new DeliveryItem(1, "a1b2:1:r:email", Guid.NewGuid(), "taro@example.jp", null, Message(null, null)), 5);

        Assert.True(Assert.IsType<TextPart>(message.Body).IsPlain);
    }

    [Fact]
    public void Social_ImageLink_IsAppendedWhenItFitsAndLeftOutWhenTheTextIsCut()
    {
        var fits = SocialText.Compose(Message(HttpsImage, HttpsSmall), "https://bousai.example.jp/feeds/cap/a1b2/1.xml", 500, SocialText.MastodonLength);
        var cut = SocialText.Compose(Message(HttpsImage, HttpsSmall) with { Body = new string('あ', 600) }, "https://bousai.example.jp/feeds/cap/a1b2/1.xml",
            500, SocialText.MastodonLength);

        Assert.EndsWith("\n" + HttpsImage, fits, StringComparison.Ordinal);
        Assert.DoesNotContain(HttpsImage, cut, StringComparison.Ordinal);
        Assert.EndsWith("/feeds/cap/a1b2/1.xml", cut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MsgType.Alert, false, true)]
    [InlineData(MsgType.Update, false, true)]
    [InlineData(MsgType.Update, true, false)]
    [InlineData(MsgType.Cancel, false, false)]
    public void Renderer_CarriesThePictureExceptOnCancelAndAllClear(MsgType type, bool allClear, bool expected)
    {
        var alert = new AlertDocument("a1", 1, "urn:alerthub:a1:1", "sender", Sent, AlertStatus.Actual, type, "土砂災害", Severity.Severe, Urgency.Immediate,
            Certainty.Observed, new AreaSpec(["x"], null, null, null), "横手", null, null,
            new Dictionary<string, AlertText>(StringComparer.OrdinalIgnoreCase) { ["ja"] = new("土砂崩れ", "本文", null) }, ["ja"], null, [], true, 40,
            AllClear: allClear, Image: new AlertImage("0123456789abcdef0123456789abcdef", "drone-photo", "p1", HttpsImage, HttpsSmall, "ドローン撮影", 1280, 960));

        var rendered = MessageRenderer.Render(alert, "ja", new ChannelLimits(100, 200, 4000, 1));

        Assert.Equal(expected ? HttpsImage : null, rendered.ImageUrl);
        Assert.Equal(expected ? HttpsSmall : null, rendered.ImageSmallUrl);
    }

    [Theory]
    [InlineData(MsgType.Alert, true)]
    [InlineData(MsgType.Cancel, false)]
    public void CapFeed_Picture_IsASchemaValidResourceWithItsUri(MsgType type, bool expected)
    {
        var alert = new AlertDocument("a1", 1, "urn:alerthub:a1:1", "sender@city.yokote.test", Sent, AlertStatus.Actual, type, "土砂災害", Severity.Severe,
            Urgency.Immediate, Certainty.Observed, new AreaSpec(["x"], null, null, null), "横手", null, null,
            new Dictionary<string, AlertText>(StringComparer.OrdinalIgnoreCase) { ["ja"] = new("土砂崩れ", "本文", null) }, ["ja"], null, [], true, 40,
            Image: new AlertImage("0123456789abcdef0123456789abcdef", "drone-photo", "p1", HttpsImage, HttpsSmall, "ドローン撮影 2026-09-01 10:15 JST", 1280, 960));

        var xml = AlertHub.Server.Features.Delivery.Channels.CapFeed.CapWriter.Write(alert, [], new AlertHub.Server.Features.Delivery.Channels.CapFeed.CapFeedOptions(),
            "https://bousai.example.jp/feeds/cap/a1.xml");

        Assert.Empty(AlertHub.Core.Cap.CapSchema.Validate(new MemoryStream(xml)));
        var cap = System.Xml.Linq.XNamespace.Get(AlertHub.Core.Cap.CapSchema.Namespace12);
        var resource = System.Xml.Linq.XDocument.Load(new MemoryStream(xml)).Descendants(cap + "resource").SingleOrDefault();
        Assert.Equal(expected, resource is not null);
        if (expected)
        {
            Assert.Equal(HttpsImage, resource!.Element(cap + "uri")!.Value);
            Assert.Equal("image/jpeg", resource.Element(cap + "mimeType")!.Value);
        }
    }

    /// <summary>Every string value in a JSON element, decoded.</summary>
    private static List<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => [.. element.EnumerateObject().SelectMany(p => Strings(p.Value))],
        JsonValueKind.Array => [.. element.EnumerateArray().SelectMany(Strings)],
        _ => [],
    };

    [Theory]
    [InlineData("https://a.example/x.jpg", true)]
    [InlineData("HTTPS://a.example/x.jpg", true)]
    [InlineData("http://a.example/x.jpg", false)]
    public void FetchableByProviders_NeedsHttps(string url, bool expected) => Assert.Equal(expected, AlertImage.IsFetchableByProviders(url));
}
