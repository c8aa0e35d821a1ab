using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using AlertHub.IntegrationTests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AlertHub.IntegrationTests.Features;

public sealed class ResidentsTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Register_ThenReadUpdateDelete_WithOwnTokenOnly()
    {
        using var client = _hub.CreateClient();
        var r = await Api.RegisterAsync(client, 39.3114, 140.5535, ["elderly"]);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", r.Token);
        var view = await (await client.GetAsync($"/api/residents/{r.Id}")).JsonAsync();
        Assert.Equal("elderly", view["attributes"]!["householdTags"]![0]!.GetValue<string>());
        Assert.Equal(39.3114, view["places"]![0]!["lat"]!.GetValue<double>());

        var put = await client.PutAsJsonAsync($"/api/residents/{r.Id}", new
        {
            attributes = new { householdTags = new[] { "children" }, language = "en" },
            places = new[] { new { label = "school", lat = 39.2, lon = 140.5 } },
            endpoints = new[] { new { channel = "signalr" } },
        });
        Assert.Equal(204, (int)put.StatusCode);
        view = await (await client.GetAsync($"/api/residents/{r.Id}")).JsonAsync();
        Assert.Equal("en", view["attributes"]!["language"]!.GetValue<string>());
        Assert.Equal("school", view["places"]![0]!["label"]!.GetValue<string>());

        using (var stranger = _hub.CreateClient())
        {
            stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-token");
            await (await stranger.GetAsync($"/api/residents/{r.Id}")).AssertProblemAsync(401, "auth.invalid_resident_token");
            await (await stranger.DeleteAsync($"/api/residents/{r.Id}")).AssertProblemAsync(401, "auth.invalid_resident_token");
        }

        Assert.Equal(204, (int)(await client.DeleteAsync($"/api/residents/{r.Id}")).StatusCode);
        await (await client.GetAsync($"/api/residents/{r.Id}")).AssertProblemAsync(401, "auth.invalid_resident_token");
        Assert.Equal(0L, await CountAsync("SELECT COUNT(*) FROM residents WHERE id = $id", r.Id));
        Assert.Equal(0L, await CountAsync("SELECT COUNT(*) FROM resident_places WHERE resident_id = $id", r.Id));
        Assert.Equal(0L, await CountAsync("SELECT COUNT(*) FROM resident_endpoints WHERE resident_id = $id", r.Id));
    }

    [Theory]
    [InlineData("""{"places":[{"lat":91,"lon":140}]}""", "residents.place_invalid")]
    [InlineData("""{"places":[{"lat":39}]}""", "residents.place_invalid")]
    [InlineData("""{"attributes":{"householdTags":["vip"]}}""", "residents.household_tag_unknown")]
    [InlineData("""{"attributes":{"language":"日本語"}}""", "residents.language_invalid")]
    [InlineData("""{"places":[{"lat":39,"lon":140},{"lat":39,"lon":140},{"lat":39,"lon":140},{"lat":39,"lon":140},{"lat":39,"lon":140},{"lat":39,"lon":140}]}""", "residents.too_many_places")]
    [InlineData("""{"endpoints":[{"channel":"pigeon","address":"x"}]}""", "residents.channel_unknown")]
    [InlineData("""{"endpoints":[{"channel":"webhook","address":"http://10.0.0.5/hook","secret":"0123456789abcdef"}]}""", "residents.endpoint_url_forbidden")]
    [InlineData("""{"endpoints":[{"channel":"webhook","address":"ftp://127.0.0.1/hook","secret":"0123456789abcdef"}]}""", "residents.endpoint_url_forbidden")]
    [InlineData("""{"endpoints":[{"channel":"webhook","address":"http://127.0.0.1/hook","secret":"short"}]}""", "residents.endpoint_invalid")]
    [InlineData("""{"places":[{"lat":39,"lon":140}]""", "request.malformed_json")]
    public async Task Register_WithBadInput_Returns400WithStableCodeAndStoresNothing(string body, string code)
    {
        using var client = _hub.CreateClient();
        await Api.RegisterAsync(client, 39.3, 140.5);
        await (await client.PostAsync("/api/residents", HttpJson.Raw(body))).AssertProblemAsync(400, code);
        Assert.Equal(1L, await CountAsync("SELECT COUNT(*) FROM residents", null));
    }

    [Fact]
    public async Task Register_OverRateLimit_Returns429RateLimited()
    {
        using var hub = new HubFactory(settings: new() { ["Residents:RegistrationsPerMinutePerClient"] = "2" });
        using var client = hub.CreateClient();
        await Api.RegisterAsync(client, 39.3, 140.5);
        await Api.RegisterAsync(client, 39.3, 140.5);
        var third = await client.PostAsJsonAsync("/api/residents", new { places = new[] { new { lat = 39.3, lon = 140.5 } } });
        await third.AssertProblemAsync(429, "residents.rate_limited");
        Assert.True(third.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task Import_MixedLines_KeepsAcceptedAndReportsRejectionsByLine()
    {
        var lines = new StringBuilder();
        lines.AppendLine("""{"externalId":"a","attributes":{"householdTags":["elderly"]},"places":[{"lat":39.3,"lon":140.5}],"endpoints":[{"channel":"signalr"}]}""");
        lines.AppendLine("""{"externalId":"b","places":[{"lat":139.3,"lon":140.5}]}""");
        lines.AppendLine("not json at all");
        lines.AppendLine();
        lines.AppendLine("""{"externalId":"c","attributes":{"householdTags":["children"],"language":"en"},"places":[{"lat":39.2,"lon":140.6}]}""");
        using var admin = _hub.Admin();
        var response = await admin.PostAsync("/api/residents/import", HttpJson.Raw(lines.ToString(), "application/x-ndjson"));
        var json = await response.JsonAsync();
        Assert.Equal(2, json["accepted"]!.GetValue<int>());
        Assert.Equal(2, json["rejected"]!.GetValue<int>());
        var rejections = json["rejections"]!.AsArray();
        Assert.Equal(2, rejections[0]!["line"]!.GetValue<int>());
        Assert.Equal("residents.place_invalid", rejections[0]!["code"]!.GetValue<string>());
        Assert.Equal(3, rejections[1]!["line"]!.GetValue<int>());
        Assert.Equal("request.malformed_json", rejections[1]!["code"]!.GetValue<string>());
        var residents = json["residents"]!.AsArray();
        Assert.Equal(["a", "c"], residents.Select(r => r!["externalId"]!.GetValue<string>()));
        Assert.Equal(5, residents[1]!["line"]!.GetValue<int>());
        Assert.Equal(2L, await CountAsync("SELECT COUNT(*) FROM residents", null));

        using var anonymous = _hub.CreateClient();
        await (await anonymous.PostAsync("/api/residents/import", HttpJson.Raw(lines.ToString(), "application/x-ndjson"))).AssertProblemAsync(401, "auth.missing_key");
    }

    [Fact]
    public async Task Import_HundredThousandRows_AllAcceptedInOneRequest()
    {
        var random = new Random(7);
        var body = new StringBuilder(100_000 * 160);
        for (var i = 0; i < 100_000; i++)
        {
            var lat = 39.1 + (random.NextDouble() * 0.3);
            var lon = 140.3 + (random.NextDouble() * 0.45);
            body.Append("{\"externalId\":\"r").Append(i).Append("\",\"attributes\":{\"householdTags\":[\"").Append(i % 3 == 0 ? "elderly" : "children")
                .Append("\"],\"language\":\"ja\"},\"places\":[{\"lat\":").Append(lat.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
                .Append(",\"lon\":").Append(lon.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append("}],\"endpoints\":[{\"channel\":\"signalr\"}]}\n");
        }

        using var admin = _hub.Admin();
        admin.Timeout = TimeSpan.FromMinutes(5);
        var response = await admin.PostAsync("/api/residents/import", HttpJson.Raw(body.ToString(), "application/x-ndjson"));
        var json = await response.JsonAsync();
        Assert.Equal(100_000, json["accepted"]!.GetValue<int>());
        Assert.Equal(0, json["rejected"]!.GetValue<int>());
        Assert.Equal(100_000L, await _hub.CountAsync("SELECT COUNT(*) FROM residents"));

        var preview = await (await admin.PostAsJsonAsync("/api/targeting/preview", new
        {
            area = new { geometry = Api.Square(39.25, 140.525, 1.0) },
            audience = new { householdTags = new { any = new[] { "elderly" } } },
        })).JsonAsync();
        Assert.Equal(33_334, preview["recipients"]!.GetValue<int>());
    }

    [Fact]
    public async Task Location_Report_CountsForTargetingUntilCleared()
    {
        using var client = _hub.CreateClient();
        var r = await Api.RegisterAsync(client, 39.0, 140.0);
        using var admin = _hub.Admin();
        var area = new { circles = new[] { new { lat = 39.3137, lon = 140.5666, radiusMeters = 500 } } };
        Assert.Equal(0, (await Preview(admin, area))["recipients"]!.GetValue<int>());

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", r.Token);
        var accepted = await (await client.PostAsJsonAsync($"/api/residents/{r.Id}/location", new { lat = 39.3138, lon = 140.5667 })).JsonAsync();
        Assert.True(accepted["expiresAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow);
        Assert.Equal(1, (await Preview(admin, area))["recipients"]!.GetValue<int>());
        Assert.Equal(0, (await Preview(admin, area, includeCurrentLocations: false))["recipients"]!.GetValue<int>());

        await (await client.PostAsJsonAsync($"/api/residents/{r.Id}/location", new { lat = 95, lon = 140 })).AssertProblemAsync(400, "residents.location_invalid");
        Assert.Equal(204, (int)(await client.DeleteAsync($"/api/residents/{r.Id}/location")).StatusCode);
        Assert.Equal(0, (await Preview(admin, area))["recipients"]!.GetValue<int>());
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> Preview(HttpClient admin, object area, bool includeCurrentLocations = true) =>
        await (await admin.PostAsJsonAsync("/api/targeting/preview", new { area, includeCurrentLocations })).JsonAsync();

    private async Task<long> CountAsync(string sql, Guid? id)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_hub.DataDirectory, "alerthub.db")}");
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (id is not null)
        {
            cmd.Parameters.AddWithValue("$id", id.ToString());
        }

        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
