using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;
using MimeKit;

namespace AlertHub.IntegrationTests.Features.Channels.Email;

/// <summary>The e-mail channel end to end against Debian's aiosmtpd (an SMTP server we did not write).</summary>
public sealed partial class EmailChannelTests
{
    private const double Lat = 39.30;
    private const double Lon = 140.55;
    private static readonly object Here = new { circles = new[] { new { lat = Lat, lon = Lon, radiusMeters = 500 } } };

    [ToolFact("aiosmtpd")]
    public async Task Email_JapaneseAlertViaAiosmtpd_DecodesExactlyAndOneClickUnsubscribeStopsTheNextAlert()
    {
        await using var inbox = await AiosmtpdInbox.StartAsync();
        using var hub = new HubFactory(settings: inbox.HubSettings());
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var imported = await ImportAsync(admin, emailConfirmed: true, ("taro", "taro.yokote@example.jp"));
        var resident = imported[0];

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var id = issued["id"]!.GetValue<string>();
        await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(15));
        var mail = Assert.Single(await inbox.WaitForAsync(m => m.Count == 1, TimeSpan.FromSeconds(5)));
        var view = await (await admin.GetAsync($"/api/alerts/{id}")).JsonAsync();

        Assert.Equal(["taro.yokote@example.jp"], mail.Recipients);
        Assert.Equal("【訓練】横手川 氾濫危険", mail.Message.Subject);
        var rawHeaders = Encoding.Latin1.GetString(mail.Raw).Split("\r\n\r\n")[0];
        Assert.Contains("Subject: =?utf-8?b?", rawHeaders, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(rawHeaders, c => c > 127);
        var body = Assert.IsType<TextPart>(mail.Message.Body);
        Assert.Equal("utf-8", body.ContentType.Charset, ignoreCase: true);
        Assert.Equal("text/plain", body.ContentType.MimeType);
        Assert.Equal(ContentEncoding.Base64, body.ContentTransferEncoding);

        var unsubscribe = UnsubscribeUrl(mail.Message);
        Assert.StartsWith("https://bousai.city.yokote.test/api/email/unsubscribe?token=", unsubscribe, StringComparison.Ordinal);
        Assert.Equal("List-Unsubscribe=One-Click", mail.Message.Headers["List-Unsubscribe-Post"]);
        var sent = DateTimeOffset.Parse(view["current"]!["sent"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var expected = $"""
            【訓練】横手川 氾濫危険

            これは訓練です。横手川が氾濫危険水位に達しました。

            高い所へ避難してください。

            対象地域: {view["current"]!["areaName"]!.GetValue<string>()}
            発表日時: {sent.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture)}（日本時間）

            ――――――――――
            横手市 安全・安心メール
            配信停止: {unsubscribe}
            このメールは送信専用です。返信はできません。

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), body.Text.ReplaceLineEndings("\n"));
        Assert.Equal($"{id}.1.{resident.Id:N}.email@city.yokote.test", mail.Message.MessageId);
        Assert.Equal($"{id}:1:{resident.Id:N}:email", mail.Message.Headers["X-AlertHub-Delivery-Id"]);
        Assert.Equal("横手市 安全・安心メール", mail.Message.From.Mailboxes.Single().Name);

        using var anonymous = hub.CreateClient();
        var page = await anonymous.GetAsync(new Uri(unsubscribe).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<form method=\"post\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("active", (await EndpointStateAsync(anonymous, resident)));

        var oneClick = await anonymous.PostAsync(new Uri(unsubscribe).PathAndQuery,
            new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, oneClick.StatusCode);
        Assert.Equal("gone", await EndpointStateAsync(anonymous, resident));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync(new Uri(unsubscribe).PathAndQuery, null)).StatusCode);

        var next = await Api.IssueAsync(admin, Api.ExerciseAlert(Here, headline: "二回目"));
        Assert.Equal(0, next["recipients"]!.GetValue<int>());
        await Task.Delay(500);
        Assert.Single(inbox.Messages());

        var audit = await (await admin.GetAsync("/api/audit")).JsonAsync();
        Assert.Contains(audit.AsArray(), e => e!["action"]!.GetValue<string>() == "residents.import"
            && e["detail"]!.GetValue<string>().Contains("emailConfirmed=true", StringComparison.Ordinal));
    }

    [ToolFact("aiosmtpd")]
    public async Task Email_Recipient550_IsMarkedGoneAndPrunedWhileOthersAreDelivered()
    {
        await using var inbox = await AiosmtpdInbox.StartAsync(reject: ["nobody@example.jp"]);
        using var hub = new HubFactory(settings: inbox.HubSettings());
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        var imported = await ImportAsync(admin, emailConfirmed: true, ("ok", "hanako@example.jp"), ("bad", "nobody@example.jp"));

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var summary = await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(),
            a => a["delivery"]!["total"]!["gone"]!.GetValue<long>() == 1 && a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(15));
        Assert.Equal(0, summary["delivery"]!["total"]!["queued"]!.GetValue<long>());
        var mail = Assert.Single(inbox.Messages());
        Assert.Equal(["hanako@example.jp"], mail.Recipients);
        Assert.Equal([("nobody@example.jp", 550)], inbox.RcptLog().Where(r => r.Rcpt == "nobody@example.jp"));

        using var anonymous = hub.CreateClient();
        Assert.Equal("gone", await EndpointStateAsync(anonymous, imported[1]));
        Assert.Equal("active", await EndpointStateAsync(anonymous, imported[0]));
        var preview = await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area = Here })).JsonAsync();
        Assert.Equal(1, preview["recipients"]!.GetValue<int>());
        Assert.Equal(1, preview["unreachable"]!.GetValue<int>());
    }

    [ToolFact("aiosmtpd")]
    public async Task Email_Recipient451_IsRetriedAndDeliveredExactlyOnce()
    {
        await using var inbox = await AiosmtpdInbox.StartAsync(tempfail: [("busy@example.jp", 2)]);
        using var hub = new HubFactory(settings: inbox.HubSettings());
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await ImportAsync(admin, emailConfirmed: true, ("busy", "busy@example.jp"));

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var summary = await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(),
            a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(20));
        Assert.Equal(0, summary["delivery"]!["total"]!["gone"]!.GetValue<long>());
        await Task.Delay(700);
        var mail = Assert.Single(inbox.Messages());
        Assert.Equal(["busy@example.jp"], mail.Recipients);
        Assert.Equal([451, 451, 250], inbox.RcptLog().Select(r => r.Reply));
    }

    [ToolFact("aiosmtpd")]
    public async Task Email_DoubleOptIn_NoAlertBeforeConfirmingAndAlertAfter()
    {
        await using var inbox = await AiosmtpdInbox.StartAsync();
        using var hub = new HubFactory(settings: inbox.HubSettings());
        await hub.WaitReadyAsync();
        using var client = hub.CreateClient();
        using var admin = hub.Admin();
        var resident = await Api.RegisterAsync(client, Lat, Lon, endpoints: [new { channel = "email", address = "Jiro@例え.jp" }]);
        var view = await ResidentAsync(client, resident);
        var endpoint = view["endpoints"]![0]!;
        Assert.Equal("pending", endpoint["state"]!.GetValue<string>());
        Assert.Equal("Jiro@xn--r8jz45g.jp", endpoint["address"]!.GetValue<string>());

        var confirmation = Assert.Single(await inbox.WaitForAsync(m => m.Count == 1, TimeSpan.FromSeconds(10)));
        // MailKit may write the envelope domain in Unicode to a server offering SMTPUTF8; it is the same mailbox.
        Assert.Equal("Jiro@xn--r8jz45g.jp", Assert.Single(confirmation.Recipients.Select(AsciiDomain)));
        Assert.DoesNotContain(Encoding.Latin1.GetString(confirmation.Raw).Split("\r\n\r\n")[0], c => c > 127);
        Assert.Equal("【横手市 安全・安心メール】メールアドレスの確認", confirmation.Message.Subject);
        Assert.Equal("confirmation", confirmation.Message.Headers["X-AlertHub-Purpose"]);
        Assert.Null(confirmation.Message.Headers["List-Unsubscribe"]);
        var link = ConfirmLink().Match(confirmation.Message.TextBody ?? "").Value;
        Assert.StartsWith("https://bousai.city.yokote.test/api/email/confirm?token=", link, StringComparison.Ordinal);

        var before = await Api.IssueAsync(admin, Api.ExerciseAlert(Here, headline: "確認前"));
        Assert.Equal(0, before["recipients"]!.GetValue<int>());

        var confirmed = await client.GetAsync(new Uri(link).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Contains("登録が完了しました", await confirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("active", await EndpointStateAsync(client, resident));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(link).PathAndQuery)).StatusCode);

        var after = await Api.IssueAsync(admin, Api.ExerciseAlert(Here, headline: "確認後"));
        Assert.Equal(1, after["recipients"]!.GetValue<int>());
        var messages = await inbox.WaitForAsync(m => m.Count == 2, TimeSpan.FromSeconds(15));
        Assert.Equal("【訓練】確認後", messages[1].Message.Subject);
        Assert.DoesNotContain(Encoding.Latin1.GetString(messages[1].Raw).Split("\r\n\r\n")[0], c => c > 127);
        Assert.DoesNotContain(messages, m => (m.Message.Subject ?? "").Contains("確認前", StringComparison.Ordinal));

        // Re-sending the same address keeps it confirmed; no new confirmation mail.
        var put = await PutAsync(client, resident, new { channel = "email", address = "Jiro@例え.jp" });
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal("active", await EndpointStateAsync(client, resident));
        await Task.Delay(500);
        Assert.Equal(2, inbox.Messages().Count);
    }

    internal static async Task<IReadOnlyList<Registered>> ImportAsync(HttpClient admin, bool emailConfirmed, params (string ExternalId, string Email)[] residents)
    {
        var lines = new StringBuilder();
        foreach (var (externalId, email) in residents)
        {
            lines.AppendLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                externalId,
                attributes = new { language = "ja" },
                places = new[] { new { label = "home", lat = Lat, lon = Lon } },
                endpoints = new[] { new { channel = "email", address = email } },
            }));
        }

        var response = await admin.PostAsync($"/api/residents/import?emailConfirmed={(emailConfirmed ? "true" : "false")}", HttpJson.Raw(lines.ToString(), "application/x-ndjson"));
        var json = await response.JsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToJsonString());
        Assert.Equal(residents.Length, json["accepted"]!.GetValue<int>());
        return [.. json["residents"]!.AsArray().Select(r => new Registered(Guid.Parse(r!["id"]!.GetValue<string>()), r["token"]!.GetValue<string>()))];
    }

    private static string AsciiDomain(string address)
    {
        var at = address.LastIndexOf('@');
        return address[..(at + 1)] + new IdnMapping().GetAscii(address[(at + 1)..]);
    }

    internal static async Task<JsonNode> ResidentAsync(HttpClient client, Registered resident)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/residents/{resident.Id}");
        request.Headers.Authorization = new("Bearer", resident.Token);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    internal static async Task<string> EndpointStateAsync(HttpClient client, Registered resident) =>
        (await ResidentAsync(client, resident))["endpoints"]![0]!["state"]!.GetValue<string>();

    internal static string UnsubscribeUrl(MimeMessage message)
    {
        var header = message.Headers["List-Unsubscribe"];
        Assert.NotNull(header);
        Assert.StartsWith("<", header, StringComparison.Ordinal);
        Assert.EndsWith(">", header, StringComparison.Ordinal);
        return header[1..^1];
    }

    private static async Task<HttpResponseMessage> PutAsync(HttpClient client, Registered resident, object endpoint)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/residents/{resident.Id}")
        {
            Content = JsonContent.Create(new
            {
                attributes = new { language = "ja" },
                places = new[] { new { label = "home", lat = Lat, lon = Lon } },
                endpoints = new[] { endpoint },
            }),
        };
        request.Headers.Authorization = new("Bearer", resident.Token);
        return await client.SendAsync(request);
    }

    [GeneratedRegex(@"https?://\S+/api/email/confirm\?token=\S+")]
    private static partial Regex ConfirmLink();
}
