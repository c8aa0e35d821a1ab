using System.Net;
using System.Net.Http.Json;
using System.Xml.Linq;
using AlertHub.IntegrationTests.Features.DronePhotos;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Security;

/// <summary>
/// Every answer of the hub carries the security headers, not only the pages: a JSON body, a ProblemDetails, an image
/// or a stored feed document opened by a staff browser must never run as a script or render as a page.
/// </summary>
public sealed class SecurityHeadersTests(SecurityHeadersTests.Hub hub) : IClassFixture<SecurityHeadersTests.Hub>
{
    /// <summary>
    /// A CAP alert that is also valid JavaScript: to a script loader <c>&lt;!--</c> opens a line comment, the
    /// statement runs and the XML after it sits in a block comment closed in the trailing XML comment (the attack of
    /// the Hardening issue, item 3, made <c>POST /api/keys</c> this way).
    /// </summary>
    internal static string PolyglotCap(string identifier) => $"""
        <!--
        window.__xss = 1; /*
        -->
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>{identifier}</identifier>
          <sender>polyglot@example.org</sender>
          <sent>2026-05-01T10:00:00+09:00</sent>
          <status>Actual</status>
          <msgType>Alert</msgType>
          <scope>Public</scope>
          <info>
            <category>Met</category>
            <event>test</event>
            <urgency>Immediate</urgency>
            <severity>Minor</severity>
            <certainty>Likely</certainty>
            <headline>&lt;img src=x onerror=window.__xss=1&gt;</headline>
            <area><areaDesc>&lt;b id=injected&gt;x&lt;/b&gt;</areaDesc></area>
          </info>
        </alert>
        <!-- */ -->
        """;

    public static TheoryData<string> Responses =>
    [
        "json", "problem-404", "problem-401", "problem-400", "page", "page-script", "missing-file", "drone-photo", "drone-thumbnail",
        "alert-image-404", "cap-atom", "cap-xml", "live-404", "health", "raw-document", "hub-negotiate", "staff-hub-negotiate",
    ];

    [Theory]
    [MemberData(nameof(Responses))]
    public async Task EveryKindOfResponse_CarriesNosniffACspAndTheFrameAndReferrerHeaders(string kind)
    {
        using var response = await hub.SendAsync(kind);

        Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff), $"{kind} ({(int)response.StatusCode}): no X-Content-Type-Options");
        Assert.Equal("nosniff", Assert.Single(nosniff));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        if (kind is "page" or "page-script" or "missing-file")
        {
            Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
            Assert.Contains("script-src-attr 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("require-trusted-types-for 'script'", csp, StringComparison.Ordinal);
        }
        else
        {
            // Data is never a page: nothing in it may run or load, whatever a browser makes of it.
            Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("script-src", csp, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RawFeedDocument_IsAPlainTextAttachmentInASandbox_WithTheBytesAsTheFeedSentThem()
    {
        using var viewer = hub.Factory.WithKey(hub.ViewerKey);
        using var response = await viewer.GetAsync($"/api/events/{hub.EventId}/raw");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.EndsWith(".xml", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'),
            StringComparison.Ordinal);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.StartsWith("sandbox;", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal(hub.PushedDocument, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task RawFeedDocument_OfAnUnknownEvent_IsANotFoundProblemWithTheHeaders()
    {
        using var viewer = hub.Factory.WithKey(hub.ViewerKey);
        using var response = await viewer.GetAsync("/api/events/no-such-event/raw");

        await response.AssertProblemAsync(404, "feeds.event_not_found");
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task PublicCapFeed_StaysCapXmlForConsumers_WithNosniffAndARestrictiveCsp()
    {
        using var anonymous = hub.Factory.CreateClient();
        using var message = await anonymous.GetAsync($"/feeds/cap/{hub.AlertId}.xml");
        using var atom = await anonymous.GetAsync("/feeds/cap.atom");

        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
        Assert.Equal("application/cap+xml", message.Content.Headers.ContentType?.MediaType);
        Assert.Equal("alert", XDocument.Parse(await message.Content.ReadAsStringAsync()).Root!.Name.LocalName);
        Assert.Equal("application/atom+xml", atom.Content.Headers.ContentType?.MediaType);
        Assert.Equal("feed", XDocument.Parse(await atom.Content.ReadAsStringAsync()).Root!.Name.LocalName);
        foreach (var response in new[] { message, atom })
        {
            Assert.Null(response.Content.Headers.ContentDisposition);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.StartsWith("default-src 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        }
    }

    /// <summary>One hub with a drone photo, a pushed feed document and an issued alert to ask for.</summary>
    public sealed class Hub : IAsyncLifetime
    {
        public HubFactory Factory { get; } = new();

        public string ViewerKey { get; private set; } = "";

        public string EventId { get; private set; } = "";

        public string AlertId { get; private set; } = "";

        public string DronePhotoId { get; private set; } = "";

        public byte[] PushedDocument { get; } = System.Text.Encoding.UTF8.GetBytes(PolyglotCap("polyglot-" + Guid.NewGuid().ToString("N")));

        public async Task InitializeAsync()
        {
            await Factory.WaitReadyAsync();
            ViewerKey = await Factory.CreateKeyAsync("viewer");
            using var ingest = Factory.WithKey(await Factory.CreateKeyAsync("ingest"));
            var pushed = await ingest.PostAsync("/api/feeds/cap", new ByteArrayContent(PushedDocument) { Headers = { ContentType = new("application/xml") } });
            Assert.True(pushed.IsSuccessStatusCode, await pushed.Content.ReadAsStringAsync());
            EventId = (await pushed.JsonAsync())["eventId"]!.GetValue<string>();

            using var upload = DronePhotosTests.Form(TestPhotos.Jpeg(320, 240), "DJI_0001.JPG", "image/jpeg", chunked: false);
            var photo = await ingest.PostAsync("/api/drone-photos", upload);
            Assert.True(photo.IsSuccessStatusCode, await photo.Content.ReadAsStringAsync());
            DronePhotoId = (await photo.JsonAsync())["properties"]!["id"]!.GetValue<string>();

            using var admin = Factory.Admin();
            var issued = await Api.IssueAsync(admin, new
            {
                status = "Actual", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
                area = new { circles = new[] { new { lat = 39.31, lon = 140.55, radiusMeters = 1000 } } },
                texts = new Dictionary<string, object> { ["ja"] = new { headline = "横手川 氾濫危険情報", body = "高い所へ避難してください。" } },
                expires = DateTimeOffset.UtcNow.AddHours(6),
            });
            AlertId = issued["id"]!.GetValue<string>();
        }

        public async Task<HttpResponseMessage> SendAsync(string kind)
        {
            using var anonymous = Factory.CreateClient();
            using var viewer = Factory.WithKey(ViewerKey);
            using var admin = Factory.Admin();
            return kind switch
            {
                "json" => await anonymous.GetAsync("/api/dashboard/config"),
                "problem-404" => await Expect(404, await anonymous.GetAsync("/api/no-such-thing")),
                "problem-401" => await Expect(401, await anonymous.GetAsync("/api/alerts")),
                "problem-400" => await Expect(400, await admin.PostAsync("/api/targeting/preview", HttpJson.Raw("{not json"))),
                "page" => await anonymous.GetAsync("/staff/"),
                "page-script" => await anonymous.GetAsync("/staff/app.js"),
                "missing-file" => await Expect(404, await anonymous.GetAsync("/staff/missing.js")),
                "drone-photo" => await ExpectType("image/jpeg", await viewer.GetAsync($"/api/drone-photos/{DronePhotoId}.jpg")),
                "drone-thumbnail" => await ExpectType("image/jpeg", await viewer.GetAsync($"/api/drone-photos/{DronePhotoId}/thumbnail.jpg")),
                "alert-image-404" => await Expect(404, await anonymous.GetAsync("/media/alert-images/0123456789abcdef.jpg")),
                "cap-atom" => await anonymous.GetAsync("/feeds/cap.atom"),
                "cap-xml" => await anonymous.GetAsync($"/feeds/cap/{AlertId}.xml"),
                "live-404" => await Expect(404, await viewer.GetAsync("/live/no-such-camera/index.m3u8")),
                "health" => await anonymous.GetAsync("/health"),
                "raw-document" => await viewer.GetAsync($"/api/events/{EventId}/raw"),
                "hub-negotiate" => await viewer.PostAsync("/hubs/alerts/negotiate?negotiateVersion=1", null),
                "staff-hub-negotiate" => await viewer.PostAsync("/hubs/staff/negotiate?negotiateVersion=1", null),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
            };
        }

        private static async Task<HttpResponseMessage> Expect(int status, HttpResponseMessage response)
        {
            Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            return response;
        }

        private static async Task<HttpResponseMessage> ExpectType(string mediaType, HttpResponseMessage response)
        {
            Assert.True(response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == mediaType,
                $"expected {mediaType}, got {(int)response.StatusCode} {response.Content.Headers.ContentType}: {await response.Content.ReadAsStringAsync()}");
            return response;
        }

        public Task DisposeAsync()
        {
            Factory.Dispose();
            return Task.CompletedTask;
        }
    }
}
