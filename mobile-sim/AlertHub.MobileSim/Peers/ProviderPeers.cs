using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Peers;

/// <summary>Starts the provider peers a channel mix needs (fake FCM, LINE, Web Push service, SMTP …).</summary>
internal static class ProviderPeers
{
    /// <summary>Calls (voice) and messages (sms) per second the fake Twilio accounts allow, and the hub is told to keep to
    /// (<c>--voice-cps</c>, <c>--sms-mps</c>). Defaults 50 and 500: a city's account raised for an emergency, not Twilio's 1.</summary>
    public static Dictionary<string, double> Rates { get; } = new(StringComparer.Ordinal);

    /// <summary>Channel → how to start its peer (port 0 = any free port). Channels without an entry have no fake yet.</summary>
    private static readonly Dictionary<string, Func<ReceiptLog, TimeProvider, int, Task<IProviderPeer>>> Factories = new(StringComparer.Ordinal)
    {
        [Smtp.SmtpSink.ChannelName] = async (log, time, port) =>
        {
            var sink = new Smtp.SmtpSink(log, time, new Smtp.SmtpSinkOptions
            {
                Port = port < 0 ? Smtp.SmtpSink.DefaultLoadPort : port,
                StoreMessages = false,
            });
            await sink.StartAsync();
            return sink;
        },
        ["line"] = async (log, time, port) =>
        {
            var line = new Line.FakeLine(log, new Line.FakeLineOptions { Port = port < 0 ? Line.FakeLineOptions.DefaultLoadPort : port }, time);
            await line.StartAsync();
            return line;
        },
        ["fcm"] = async (log, time, port) =>
        {
            var fcm = new Fcm.FakeFcm(log, new Fcm.FakeFcmOptions { Port = port < 0 ? Fcm.FakeFcm.DefaultLoadPort : port, KeepMessageBodies = false }, time);
            await fcm.StartAsync();
            return fcm;
        },
        ["voice"] = async (log, time, port) =>
        {
            var voice = new Twilio.FakeTwilio(log, sms: false, new Twilio.FakeTwilioOptions
            {
                Port = port < 0 ? Twilio.FakeTwilio.DefaultVoicePort : port,
                CallsPerSecond = Rates.GetValueOrDefault("voice", 50),
                KeepBodies = false,
            }, time);
            await voice.StartAsync();
            return voice;
        },
        ["sms"] = async (log, time, port) =>
        {
            var sms = new Twilio.FakeTwilio(log, sms: true, new Twilio.FakeTwilioOptions
            {
                Port = port < 0 ? Twilio.FakeTwilio.DefaultSmsPort : port,
                CallsPerSecond = Rates.GetValueOrDefault("sms", 500),
                KeepBodies = false,
            }, time);
            await sms.StartAsync();
            return sms;
        },
        ["webpush"] = async (log, time, port) =>
        {
            var push = new WebPush.FakePushService(log, time, port < 0 ? WebPush.FakePushService.DefaultPort : port);
            await push.StartAsync();
            return push;
        },
    };

    /// <summary>The hub configuration section of a channel name ("webpush" → "WebPush").</summary>
    public static string SectionOf(string channel) => channel switch
    {
        "fcm" => "Fcm",
        "webpush" => "WebPush",
        "line" => "Line",
        "email" => "Email",
        "signalr" => "SignalR",
        "webhook" => "Webhook",
        _ => char.ToUpperInvariant(channel[0]) + channel[1..],
    };

    public static IReadOnlyCollection<string> Available => Factories.Keys;

    public static async Task<IReadOnlyList<IProviderPeer>> StartAsync(IEnumerable<string> channels, ReceiptLog receipts, TimeProvider time, bool anyPort)
    {
        var started = new List<IProviderPeer>();
        try
        {
            // port -1 asks each peer for its documented default load-run port, 0 for any free port.
            foreach (var channel in channels.Distinct())
            {
                if (!Factories.TryGetValue(channel, out var start))
                {
                    throw new ArgumentException($"No provider peer for channel '{channel}'. Available: {string.Join(", ", Factories.Keys)}.");
                }

                started.Add(await start(receipts, time, anyPort ? 0 : -1));
            }

            return started;
        }
        catch
        {
            foreach (var peer in started)
            {
                await peer.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Every setting the hub needs for these peers, with each channel switched on.</summary>
    public static Dictionary<string, string?> HubSettings(IEnumerable<IProviderPeer> peers)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var peer in peers)
        {
            settings[$"Channels:{SectionOf(peer.Channel)}:Enabled"] = "true";
            foreach (var (key, value) in peer.HubSettings)
            {
                settings[key] = value;
            }
        }

        return settings;
    }
}
