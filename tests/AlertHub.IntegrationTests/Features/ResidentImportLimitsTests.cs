using System.Net;
using System.Text;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features;

public sealed class ResidentImportLimitsTests
{
    [Fact]
    public async Task Import_ALineOfSeveralMegabytes_IsRejectedForThatLine_AndTheOtherLinesAreImported()
    {
        using var hub = new HubFactory(settings: new() { ["Residents:ImportMaxLineBytes"] = "65536" });
        await hub.WaitReadyAsync();
        var body = new StringBuilder();
        body.Append("""{"externalId":"before","places":[{"lat":39.3,"lon":140.5}],"endpoints":[{"channel":"signalr"}]}""").Append('\n');
        body.Append("{\"externalId\":\"").Append('x', 8 * 1024 * 1024).Append("\",\"places\":[{\"lat\":39.3,\"lon\":140.5}]}\n");
        body.Append("""{"externalId":"after","places":[{"lat":39.3,"lon":140.5}],"endpoints":[{"channel":"signalr"}]}""").Append('\n');
        body.Append("""{"externalId":"\ud800","places":[{"lat":39.3,"lon":140.5}]}""").Append('\n');

        using var admin = hub.Admin();
        var response = await admin.PostAsync("/api/residents/import", HttpJson.Raw(body.ToString(), "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.JsonAsync();
        Assert.Equal(["before", "after"], json["residents"]!.AsArray().Select(r => r!["externalId"]!.GetValue<string>()));
        var rejections = json["rejections"]!.AsArray();
        Assert.Equal(2, rejections.Count);
        Assert.Equal(2, rejections[0]!["line"]!.GetValue<int>());
        Assert.Equal("residents.import_line_too_long", rejections[0]!["code"]!.GetValue<string>());
        Assert.Contains("65536", rejections[0]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(4, rejections[1]!["line"]!.GetValue<int>());
        Assert.Equal("request.invalid_text", rejections[1]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_AByteOrderMarkAndCrLfLines_AreReadAsBefore()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        var ndjson = "\uFEFF" + """{"externalId":"bom","places":[{"lat":39.3,"lon":140.5}]}""" + "\r\n" + """{"externalId":"crlf","places":[{"lat":39.3,"lon":140.5}]}""" + "\r\n";
        using var admin = hub.Admin();
        var json = await (await admin.PostAsync("/api/residents/import", new StringContent(ndjson, new UTF8Encoding(false), "application/x-ndjson"))).JsonAsync();
        Assert.Equal(2, json["accepted"]!.GetValue<int>());
        Assert.Equal(["bom", "crlf"], json["residents"]!.AsArray().Select(r => r!["externalId"]!.GetValue<string>()));
    }
}
