using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Fcm;
using AlertHub.MobileSim.Report;

namespace AlertHub.IntegrationTests.Features.Channels.Fcm;

/// <summary>HttpVersion 2.0 + RequestVersionExact: the hub speaks h2c (prior knowledge) to an HTTP/2-only loopback fake.</summary>
public sealed class FcmH2cTests : IAsyncLifetime
{
    private readonly FakeFcm _fcm = new(new ReceiptLog(), new FakeFcmOptions { Http2Only = true });
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        await _fcm.StartAsync();
        _hub = new HubFactory(settings: _fcm.HubSettings.ToDictionary());
        await _hub.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _fcm.DisposeAsync();
    }

    [Fact]
    public async Task ExerciseAlert_OverH2c_DeliversToEveryToken()
    {
        using var client = _hub.CreateClient();
        using var admin = _hub.Admin();
        for (var i = 0; i < 30; i++)
        {
            await Api.RegisterAsync(client, 39.3114, 140.5535, endpoints: [new { channel = "fcm", address = _fcm.EndpointFor($"h2-{i}").Address }]);
        }

        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 1000 } } }));
        await Api.WaitForDeliveryAsync(admin, issued["id"]!.GetValue<string>(),
            a => a["delivery"]!["byChannel"]!["fcm"]?["delivered"]?.GetValue<long>() == 30, TimeSpan.FromSeconds(20));

        Assert.Equal(30, _fcm.AcceptedCount);
        Assert.Equal(30, _fcm.Accepted.Select(m => m.Token).Distinct().Count());
        Assert.NotEqual(new Uri(_fcm.BaseUrl).Port, new Uri(_fcm.TokenUrl).Port);
    }
}
