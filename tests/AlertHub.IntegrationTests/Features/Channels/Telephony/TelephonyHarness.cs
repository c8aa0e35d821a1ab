using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Twilio;
using AlertHub.MobileSim.Report;

namespace AlertHub.IntegrationTests.Features.Channels.Telephony;

/// <summary>The hub with voice and sms on, each against its own fake Twilio account on 127.0.0.1, callbacks signed back into the hub.</summary>
internal sealed class TelephonyHarness : IAsyncDisposable
{
    private TelephonyHarness(HubFactory hub, FakeTwilio voice, FakeTwilio sms, ReceiptLog receipts)
    {
        Hub = hub;
        Voice = voice;
        Sms = sms;
        Receipts = receipts;
    }

    public HubFactory Hub { get; }

    public FakeTwilio Voice { get; }

    public FakeTwilio Sms { get; }

    public ReceiptLog Receipts { get; }

    public static async Task<TelephonyHarness> StartAsync(double callsPerSecond = 20, int maxConcurrentRequests = 100, Dictionary<string, string?>? settings = null)
    {
        var receipts = new ReceiptLog();
        var voice = new FakeTwilio(receipts, sms: false, new FakeTwilioOptions { CallsPerSecond = callsPerSecond, MaxConcurrentRequests = maxConcurrentRequests });
        var sms = new FakeTwilio(receipts, sms: true, new FakeTwilioOptions { CallsPerSecond = 100, OwnedNumbers = ["+81182320001"] });
        await voice.StartAsync();
        await sms.StartAsync();
        var all = new Dictionary<string, string?>
        {
            ["Channels:Voice:RetrySchedule:0"] = "00:00:00.300",
            ["Channels:Voice:RetrySchedule:1"] = "00:00:00.300",
            ["Channels:Voice:ThrottleBackoff"] = "00:00:00.200",
        };
        foreach (var (k, v) in voice.HubSettings.Concat(sms.HubSettings).Concat(settings ?? []))
        {
            all[k] = v;
        }

        var hub = new HubFactory(settings: all);
        await hub.WaitReadyAsync();
        voice.CallbackClient = new HttpClient(hub.Server.CreateHandler());
        sms.CallbackClient = new HttpClient(hub.Server.CreateHandler());
        return new TelephonyHarness(hub, voice, sms, receipts);
    }

    public async Task WaitAsync(Func<bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (done())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"timed out waiting for {what}; voice calls {Voice.Calls.Count}, errors {string.Join(",", Voice.Errors)}, sms {Sms.Messages.Count}");
    }

    public async ValueTask DisposeAsync()
    {
        // Let calls in progress finish their callbacks while the hub is still there.
        await Task.WhenAll(Voice.DrainAsync(TimeSpan.FromSeconds(10)), Sms.DrainAsync(TimeSpan.FromSeconds(10)));
        Hub.Dispose();
        await Voice.DisposeAsync();
        await Sms.DisposeAsync();
    }
}
