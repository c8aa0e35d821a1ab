using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Fcm;
using AlertHub.MobileSim.Report;
using AlertHub.Server.Features.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Cluster;

/// <summary>
/// A Firebase project's quota is one quota, however many nodes spend it: when FCM tells one node QUOTA_EXCEEDED with a
/// Retry-After, every node stops sending on FCM for that long, instead of each finding out by being refused in turn.
/// </summary>
public sealed class ChannelPausesTests
{
    private const double Lat = 39.3114;
    private const double Lon = 140.5535;

    [PostgresFact]
    public async Task FcmQuotaExceededOnOneNode_EveryNodePausesFcm_AndNothingIsSentUntilThePauseEnds()
    {
        await using var fcm = new FakeFcm(new ReceiptLog());
        await fcm.StartAsync();
        using var cluster = await ClusterHubs.StartAsync(2, fcm.HubSettings.ToDictionary());
        using var onA = cluster[0].CreateClient();
        using var adminA = cluster[0].Admin();
        using var adminB = cluster[1].Admin();
        var tokens = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var token = fcm.EndpointFor($"pause-{i}").Address!;
            tokens.Add(token);
            await Api.RegisterAsync(onA, Lat, Lon, endpoints: [new { channel = "fcm", address = token }]);
        }

        fcm.Fail(FcmFault.QuotaExceeded, times: 1, retryAfter: TimeSpan.FromSeconds(8));
        var first = await IssueAsync(adminA, "第一報");
        var pauses = cluster.Nodes.Select(n => n.Services.GetRequiredService<ChannelPauses>()).ToList();
        await Eventually.UntilAsync(() => pauses.All(p => p.PausedFor("fcm") is not null), TimeSpan.FromSeconds(10),
            "both nodes to pause FCM after one of them was told QUOTA_EXCEEDED");

        // While paused, an alert issued on the other node goes nowhere near FCM.
        var attempts = tokens.Sum(fcm.AttemptsFor);
        var second = await IssueAsync(adminB, "第二報");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.True(pauses.All(p => p.PausedFor("fcm") is not null), "the pause ended early: the check below proves nothing");
        Assert.Equal(attempts, tokens.Sum(fcm.AttemptsFor));

        // Once it ends, both alerts reach every token exactly once.
        await Api.WaitForDeliveryAsync(adminA, first, a => a["delivery"]!["byChannel"]!["fcm"]!["delivered"]!.GetValue<long>() == 4, TimeSpan.FromSeconds(30));
        await Api.WaitForDeliveryAsync(adminA, second, a => a["delivery"]!["byChannel"]!["fcm"]!["delivered"]!.GetValue<long>() == 4, TimeSpan.FromSeconds(30));
        Assert.All(tokens, t => Assert.Equal(2, fcm.AcceptedFor(t).Count));
    }

    private static async Task<string> IssueAsync(HttpClient admin, string headline) =>
        (await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = Lat, lon = Lon, radiusMeters = 1000 } } }, headline: headline)))["id"]!
            .GetValue<string>();
}
