using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>Synthetic runs for the report tests: no hub, a clock that never moves, receipts placed by hand.</summary>
internal static class ReportFixtures
{
    /// <summary>A clock that only moves when told: report maths must not depend on the wall clock.</summary>
    public static readonly FakeTimeProvider Time = new();
    public static readonly long Issue = Time.GetTimestamp();

    public static long At(double ms) => Issue + (long)(ms * Time.TimestampFrequency / 1000.0);

    /// <summary>
    /// <paramref name="count"/> residents on a grid around 横手, channels in turn signalr/webhook/line; the western
    /// half is inside the area. Every 50th inside resident misses; one outside resident is reached (an invariant
    /// break) when <paramref name="breakInvariant"/>.
    /// </summary>
    public static SimulationReport Build(int count = 600, double latencyScale = 1.0, bool breakInvariant = false, int seed = 7)
    {
        string[] channels = [SimChannels.SignalR, SimChannels.Webhook, "line"];
        var population = new List<SimResident>();
        var expectations = new List<ResidentExpectation>();
        var receipts = new List<Receipt>();
        var side = (int)Math.Ceiling(Math.Sqrt(count));
        for (var i = 0; i < count; i++)
        {
            var id = $"sim-{i:000000}";
            var channel = channels[i % channels.Length];
            var (row, col) = (i / side, i % side);
            var lat = 39.25 + row * 0.002;
            var lon = 140.50 + col * 0.002;
            population.Add(new SimResident(id, [], "ja", [new SimPlace("home", lat, lon)], channel, null, false));
            var inside = col < side / 2;
            expectations.Add(new ResidentExpectation(id, channel, inside));
            if (inside && i % 50 != 0)
            {
                // Spread over ~3 s so the timeline has several buckets; SignalR fastest.
                var ms = latencyScale * ((channel == SimChannels.SignalR ? 50 : 400) + (i * 37 % 2600));
                receipts.Add(new Receipt(id, channel, "alert-1", 1, At(ms)));
            }
        }

        if (breakInvariant)
        {
            var outside = expectations.First(e => !e.Expected);
            receipts.Add(new Receipt(outside.ExternalId, outside.Channel, "alert-1", 1, At(900)));
        }

        var (perChannel, overall) = ReportCalculator.Compute(expectations, receipts, null, null, Issue, Time);
        return new SimulationReport
        {
            Seed = seed,
            Residents = count,
            ResidentsOutsideCity = 0,
            Imported = count,
            Rejected = 0,
            SignalRClients = count / 3,
            SignalRConnected = count / 3,
            SignalRFailed = 0,
            WebhookBase = "http://127.0.0.1:1/hook/",
            Area = "横手（デモ） (area-1)",
            Audience = [],
            AlertId = "alert-1",
            AlertVersion = 1,
            HubRecipients = overall.TargetedSim,
            Channels = perChannel,
            Overall = overall,
            SignatureFailures = 0,
            UnknownResidentHooks = 0,
            MalformedPayloads = 0,
            OtherAlertReceipts = 0,
            WaitedMs = 6000,
            IssueRequestMs = 42,
            TimedOut = false,
            Detail = ReportCalculator.ComputeDetail(population, expectations, receipts, Issue, Time),
            Run = new RunInfo("signalr=0.34,webhook=0.33,line=0.33", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(9)), 12.5, 321.0),
        };
    }

}
