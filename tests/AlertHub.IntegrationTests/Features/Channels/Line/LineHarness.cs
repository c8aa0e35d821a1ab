using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Line;
using AlertHub.MobileSim.Report;

namespace AlertHub.IntegrationTests.Features.Channels.Line;

/// <summary>The real hub with the LINE channel on, pointed at a <see cref="FakeLine"/> on 127.0.0.1.</summary>
internal sealed class LineHarness : IAsyncDisposable
{
    public const double Lat = 39.3114;
    public const double Lon = 140.5535;

    private LineHarness(FakeLine fake, HubFactory hub, ReceiptLog log)
    {
        Fake = fake;
        Hub = hub;
        Log = log;
    }

    public FakeLine Fake { get; }
    public HubFactory Hub { get; }
    public ReceiptLog Log { get; }

    public static async Task<LineHarness> StartAsync(Dictionary<string, string?>? settings = null, FakeLineOptions? fakeOptions = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var log = new ReceiptLog();
        var fake = new FakeLine(log, fakeOptions);
        await fake.StartAsync();
        var all = new Dictionary<string, string?>(fake.HubSettings)
        {
            ["Channels:Line:ThrottleBackoff"] = "00:00:01",
            ["Channels:Line:RequestTimeout"] = "00:00:05",
        };
        foreach (var (k, v) in settings ?? [])
        {
            all[k] = v;
        }

        var hub = new HubFactory(settings: all, services: services);
        await hub.WaitReadyAsync();
        fake.UseWebhook(hub.CreateClient(), "/api/line/webhook");
        return new LineHarness(fake, hub, log);
    }

    /// <summary>Registers a resident at the alert spot with a LINE endpoint the fake knows as a friend.</summary>
    public async Task<(Registered Resident, string UserId)> RegisterAsync(string externalId, string language = "ja", double lat = Lat, double lon = Lon)
    {
        var endpoint = Fake.EndpointFor(externalId);
        using var client = Hub.CreateClient();
        var r = await Api.RegisterAsync(client, lat, lon, ["elderly"], [new { channel = "line", address = endpoint.Address }], language);
        return (r, endpoint.Address!);
    }

    /// <summary>Imports <paramref name="count"/> residents at the alert spot through the NDJSON bulk import.</summary>
    public async Task<IReadOnlyList<string>> ImportAsync(int count, string prefix = "r")
    {
        var ndjson = new StringBuilder();
        var users = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var user = Fake.EndpointFor($"{prefix}{i}").Address!;
            users.Add(user);
            ndjson.AppendLine(JsonSerializer.Serialize(new
            {
                externalId = $"{prefix}{i}",
                attributes = new { householdTags = Array.Empty<string>(), language = "ja" },
                places = new[] { new { label = "home", lat = Lat, lon = Lon } },
                endpoints = new[] { new { channel = "line", address = user } },
            }));
        }

        using var admin = Hub.Admin();
        var response = await admin.PostAsync("/api/residents/import", new StringContent(ndjson.ToString(), Encoding.UTF8, "application/x-ndjson"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal(count, JsonNode.Parse(body)!["accepted"]!.GetValue<int>());
        return users;
    }

    public static object Spot(double radiusMeters = 2000) => new { circles = new[] { new { lat = Lat, lon = Lon, radiusMeters } } };

    public async Task<string> IssueAsync(object? area = null, object? audience = null)
    {
        using var admin = Hub.Admin();
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(area ?? Spot(), audience));
        return issued["id"]!.GetValue<string>();
    }

    public async Task<JsonNode> WaitLineAsync(string alertId, Func<JsonNode, bool> done, int seconds = 20)
    {
        using var admin = Hub.Admin();
        var summary = await Api.WaitForDeliveryAsync(admin, alertId, a => a["delivery"]?["byChannel"]?["line"] is { } line && done(line), TimeSpan.FromSeconds(seconds));
        return summary["delivery"]!["byChannel"]!["line"]!;
    }

    public async Task<int> PreviewAsync(object area, object? audience = null)
    {
        using var admin = Hub.Admin();
        var response = await admin.PostAsJsonAsync("/api/targeting/preview", new { area, audience, channels = new[] { "line" } });
        var json = await response.JsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToJsonString());
        return json["byChannel"]?["line"]?.GetValue<int>() ?? 0;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Hub.Dispose();
        await Fake.DisposeAsync();
    }
}
