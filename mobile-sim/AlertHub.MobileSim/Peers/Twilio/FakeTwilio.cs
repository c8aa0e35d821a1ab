using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using AlertHub.MobileSim.Report;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AlertHub.MobileSim.Peers.Twilio;

/// <summary>What happens when the fake "dials" a number: who answers, and whether they press 1.</summary>
internal enum CallOutcome { Human, HumanPresses1, Machine, Busy, NoAnswer, Failed }

/// <summary>One call the fake accepted, and how it went.</summary>
internal sealed record FakeCall(string Sid, string To, string From, string? Url, string? StatusCallback, long AcceptedAt, long QueueTimeMs, CallOutcome Outcome)
{
    /// <summary>The TwiML the hub answered when the call was picked up.</summary>
    public string? Twiml { get; set; }

    /// <summary>The TwiML the hub answered to the keypad digit.</summary>
    public string? AfterDigits { get; set; }

    /// <summary>Statuses the hub was told, in order, with the hub's HTTP answer to each.</summary>
    public ConcurrentQueue<(string Status, int HubAnswer)> Callbacks { get; } = new();
}

/// <summary>One SMS the fake accepted.</summary>
internal sealed record FakeMessage(string Sid, string To, string? From, string Body, int Segments, string? StatusCallback, long AcceptedAt);

/// <summary>Options of <see cref="FakeTwilio"/>.</summary>
internal sealed class FakeTwilioOptions
{
    public int Port { get; set; }

    public string AccountSid { get; set; } = "AC" + new string('0', 24) + "f00dcafe";

    public string AuthToken { get; set; } = "fake-twilio-auth-token-0000000001";

    /// <summary>Numbers the account owns (valid <c>From</c>).</summary>
    public List<string> OwnedNumbers { get; set; } = ["+81182320000"];

    /// <summary>Calls per second the account may start; beyond it calls are queued (Twilio queues, it does not refuse). Default 1.</summary>
    public double CallsPerSecond { get; set; } = 1;

    /// <summary>REST requests in flight at once; beyond it 429 / 20429. Default 100.</summary>
    public int MaxConcurrentRequests { get; set; } = 100;

    /// <summary>Time between a call's progress events. Default 20 ms.</summary>
    public TimeSpan EventGap { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Who answers when nothing was scripted for the number. Default a person, who does not press a key.</summary>
    public CallOutcome DefaultOutcome { get; set; } = CallOutcome.Human;

    /// <summary>Store TwiML and message bodies (off for load runs). Default true.</summary>
    public bool KeepBodies { get; set; } = true;
}

/// <summary>
/// Twilio Programmable Voice and Messaging on 127.0.0.1, following the published contract (reference: publishing-and-telephony.md
/// B.1–B.10): HTTP Basic auth with the Account SID in the path (401 / 20003), form fields (To E.164 else 400 / 21211, From owned
/// else 21210, one of Url/Twiml/ApplicationSid, StatusCallbackEvent values, Timeout ≤ 600, MachineDetection Enable or
/// DetectMessageEnd; SMS Body ≤ 1600, a Japanese landline To → 21614), 201 with a CA…/SM… sid and RFC 2822 dates, too many
/// concurrent requests → 429 / 20429 (not processed), calls beyond the CPS queued with <c>queue_time</c>. It then plays the call:
/// progress callbacks initiated → ringing → answered → completed with SequenceNumber, the TwiML fetched with AnsweredBy when
/// answering-machine detection is on, <c>&lt;Gather&gt;</c> answered with Digits — every request to the hub signed with
/// X-Twilio-Signature. Busy, no-answer and failed numbers can be scripted per attempt; one callback can be tampered with.
/// Receipts are recorded when a call is answered and its TwiML says something, and when a message is accepted.
/// </summary>
internal sealed partial class FakeTwilio : IProviderPeer
{
    /// <summary>Ports of load runs against a hub started by hand.</summary>
    public const int DefaultVoicePort = 5094;
    public const int DefaultSmsPort = 5095;

    private static readonly string[] CallEvents = ["initiated", "ringing", "answered", "completed"];
    private static readonly HashSet<string> Languages = ["ja-JP", "en-US", "en-GB", "cmn-CN", "zh-CN", "ko-KR", "vi-VN", "pt-BR", "es-ES", "fr-FR", "de-DE", "th-TH", "id-ID", "fil-PH"];

    private readonly FakeTwilioOptions _options;
    private readonly ReceiptLog _log;
    private readonly TimeProvider _time;
    private readonly bool _sms;
    private readonly ConcurrentDictionary<string, string> _residents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _numbers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<CallOutcome>> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FakeCall> _calls = new();
    private readonly ConcurrentQueue<FakeMessage> _messages = new();
    private readonly ConcurrentQueue<(int Status, int Code)> _errors = new();
    private readonly ConcurrentQueue<long> _callStarts = new();
    private readonly List<Task> _running = [];
    private readonly Lock _bucketLock = new();
    private double _tokens;
    private long _bucketAt;
    private int _inFlight;
    private int _throttleNext;
    private int _tamperNext;
    private int _queuedBeyondCps;
    private int _callbackFailures;
    private WebApplication? _app;

    public FakeTwilio(ReceiptLog log, bool sms, FakeTwilioOptions? options = null, TimeProvider? time = null)
    {
        _log = log;
        _sms = sms;
        _options = options ?? new FakeTwilioOptions();
        _time = time ?? TimeProvider.System;
        _tokens = Math.Max(1, _options.CallsPerSecond);
        _bucketAt = _time.GetTimestamp();
    }

    public string Channel => _sms ? "sms" : "voice";

    public string BaseUrl { get; private set; } = "";

    public FakeTwilioOptions Options => _options;

    /// <summary>How the fake reaches the hub's callbacks; tests point it at the in-process hub. Default a plain HttpClient.</summary>
    public HttpClient CallbackClient { get; set; } = new();

    public IReadOnlyDictionary<string, string?> HubSettings => new Dictionary<string, string?>
    {
        [$"Channels:{(_sms ? "Sms" : "Voice")}:Enabled"] = "true",
        [$"Channels:{(_sms ? "Sms" : "Voice")}:AccountSid"] = _options.AccountSid,
        [$"Channels:{(_sms ? "Sms" : "Voice")}:AuthToken"] = _options.AuthToken,
        [$"Channels:{(_sms ? "Sms" : "Voice")}:ApiBaseUrl"] = BaseUrl,
        [$"Channels:{(_sms ? "Sms" : "Voice")}:From"] = _options.OwnedNumbers[0],
        [_sms ? "Channels:Sms:MessagesPerSecond" : "Channels:Voice:CallsPerSecond"] = _options.CallsPerSecond.ToString(CultureInfo.InvariantCulture),
    };

    public IReadOnlyList<FakeCall> Calls => [.. _calls];

    public IReadOnlyList<FakeMessage> Messages => [.. _messages];

    /// <summary>REST errors answered: HTTP status and Twilio code.</summary>
    public IReadOnlyList<(int Status, int Code)> Errors => [.. _errors];

    /// <summary>Calls that arrived beyond the CPS and had to be queued: 0 when the hub paces itself.</summary>
    public int QueuedBeyondCps => Volatile.Read(ref _queuedBeyondCps);

    /// <summary>Callbacks the hub did not answer with 2xx (a tampered one should be among them).</summary>
    public int CallbackFailures => Volatile.Read(ref _callbackFailures);

    /// <summary>The most calls accepted within any one second (sliding window).</summary>
    public int MaxCallsInAnySecond()
    {
        var starts = _callStarts.Order().ToArray();
        var window = _time.TimestampFrequency;
        var best = 0;
        for (int i = 0, j = 0; i < starts.Length; i++)
        {
            while (starts[i] - starts[j] >= window)
            {
                j++;
            }

            best = Math.Max(best, i - j + 1);
        }

        return best;
    }

    /// <summary>Calls accepted per second from the first to the last.</summary>
    public double CallRate()
    {
        var starts = _callStarts.Order().ToArray();
        return starts.Length < 2 ? starts.Length : (starts.Length - 1) / ((double)(starts[^1] - starts[0]) / _time.TimestampFrequency);
    }

    /// <summary>A resident's deterministic number: a Yokote landline (+81182…) for voice, a mobile (+8190…) for SMS.</summary>
    public SimEndpoint EndpointFor(string externalId)
    {
        var space = _sms ? 100_000_000UL : 1_000_000UL;
        var digits = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(Channel + ":" + externalId)), 0) % space;
        lock (_numbers)
        {
            if (_numbers.TryGetValue(externalId, out var known))
            {
                return new SimEndpoint(Channel, known);
            }

            // A receipt is attributed by the number called: a resident whose hash lands on a number already given (Yokote's
            // six landline digits collide about twice in 2,000) takes the next free one, so no two residents share a phone.
            string number;
            while (true)
            {
                number = _sms ? "+8190" + digits.ToString("D8", CultureInfo.InvariantCulture) : "+81182" + digits.ToString("D6", CultureInfo.InvariantCulture);
                if (_residents.TryAdd(number, externalId))
                {
                    break;
                }

                digits = (digits + 1) % space;
            }

            _numbers[externalId] = number;
            return new SimEndpoint(Channel, number);
        }
    }

    /// <summary>The outcomes of the next calls to a number, one per attempt; after them <see cref="FakeTwilioOptions.DefaultOutcome"/>.</summary>
    public void Script(string number, params CallOutcome[] outcomes) => _scripts[number] = new ConcurrentQueue<CallOutcome>(outcomes);

    /// <summary>The next <paramref name="count"/> REST requests get 429 / 20429.</summary>
    public void ThrottleNext(int count) => Volatile.Write(ref _throttleNext, count);

    /// <summary>The next callback carries a signature over a changed parameter (the hub must refuse it).</summary>
    public void TamperNextCallback() => Volatile.Write(ref _tamperNext, 1);

    /// <summary>Waits until every simulated call has finished its callbacks.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        Task[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).WaitAsync(timeout);
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeTwilio).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, _options.Port));
        var app = builder.Build();
        app.MapPost("/2010-04-01/Accounts/{account}/{resource}", (string account, string resource, HttpContext context) => HandleAsync(account, resource, context));
        await app.StartAsync(cancellationToken);
        _app = app;
        BaseUrl = (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel did not report the address it bound.")).TrimEnd('/');
    }

    /// <summary>The signature Twilio puts on a request to <paramref name="url"/> with these form parameters.</summary>
    public static string Sign(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var data = new StringBuilder(url);
        foreach (var (k, v) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(k).Append(v);
        }

#pragma warning disable CA5350 // Twilio's algorithm
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
    }

    private async Task HandleAsync(string account, string resource, HttpContext context)
    {
        if (Interlocked.Increment(ref _inFlight) > _options.MaxConcurrentRequests || Interlocked.Decrement(ref _throttleNext) >= 0)
        {
            Interlocked.Decrement(ref _inFlight);
            await ErrorAsync(context, 429, 20429, "Too Many Requests");
            return;
        }

        Interlocked.Exchange(ref _throttleNext, Math.Max(0, Volatile.Read(ref _throttleNext)));
        try
        {
            if (!Authorized(context, account))
            {
                await ErrorAsync(context, 401, 20003, "Authenticate");
                return;
            }

            if (!context.Request.HasFormContentType)
            {
                await ErrorAsync(context, 400, 20001, "Request body must be application/x-www-form-urlencoded");
                return;
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            switch (resource)
            {
                case "Calls.json" when !_sms:
                    await CreateCallAsync(context, form);
                    break;
                case "Messages.json" when _sms:
                    await CreateMessageAsync(context, form);
                    break;
                default:
                    await ErrorAsync(context, 404, 20404, "The requested resource was not found");
                    break;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private bool Authorized(HttpContext context, string account)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..]));
        }
        catch (FormatException)
        {
            return false;
        }

        return decoded == $"{_options.AccountSid}:{_options.AuthToken}" && account == _options.AccountSid && AccountSid().IsMatch(account);
    }

    private async Task CreateCallAsync(HttpContext context, IFormCollection form)
    {
        var to = form["To"].ToString();
        var from = form["From"].ToString();
        if (Validate(to, from) is { } e)
        {
            await ErrorAsync(context, 400, e.Code, e.Message);
            return;
        }

        var url = form["Url"].ToString();
        var twiml = form["Twiml"].ToString();
        var application = form["ApplicationSid"].ToString();
        if ((url.Length > 0 ? 1 : 0) + (application.Length > 0 ? 1 : 0) + (twiml.Length > 0 && url.Length == 0 ? 1 : 0) != 1 || (url.Length > 0 && !Uri.TryCreate(url, UriKind.Absolute, out _)))
        {
            await ErrorAsync(context, 400, 21205, "A call needs exactly one of Url, Twiml or ApplicationSid, and Url must be absolute");
            return;
        }

        if (twiml.Length > 4000)
        {
            await ErrorAsync(context, 400, 21205, "Twiml is limited to 4000 characters");
            return;
        }

        var events = form["StatusCallbackEvent"].Select(v => v ?? "").ToList();
        var timeout = form["Timeout"].ToString();
        var amd = form["MachineDetection"].ToString();
        if (events.Any(ev => !CallEvents.Contains(ev)) || (timeout.Length > 0 && (!int.TryParse(timeout, out var t) || t is < 1 or > 600))
            || (amd.Length > 0 && amd is not ("Enable" or "DetectMessageEnd")))
        {
            await ErrorAsync(context, 400, 20001, "StatusCallbackEvent, Timeout (1–600) or MachineDetection (Enable, DetectMessageEnd) is not valid");
            return;
        }

        var queueMs = TakeCallSlot();
        var outcome = _scripts.TryGetValue(to, out var script) && script.TryDequeue(out var scripted) ? scripted : _options.DefaultOutcome;
        var sid = "CA" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var statusCallback = form["StatusCallback"].ToString();
        var call = new FakeCall(sid, to, from, url.Length > 0 ? url : null, statusCallback.Length > 0 ? statusCallback : null, _time.GetTimestamp(), queueMs, outcome);
        _calls.Enqueue(call);
        _callStarts.Enqueue(call.AcceptedAt);
        await JsonAsync(context, 201, new Dictionary<string, object?>
        {
            ["sid"] = sid, ["account_sid"] = _options.AccountSid, ["to"] = to, ["from"] = from, ["status"] = "queued", ["direction"] = "outbound-api",
            ["api_version"] = "2010-04-01", ["queue_time"] = queueMs.ToString(CultureInfo.InvariantCulture), ["answered_by"] = null,
            ["date_created"] = Rfc2822(_time.GetUtcNow()), ["date_updated"] = Rfc2822(_time.GetUtcNow()),
            ["uri"] = $"/2010-04-01/Accounts/{_options.AccountSid}/Calls/{sid}.json",
        });
        Run(() => PlayCallAsync(call, events, amd.Length > 0));
    }

    private async Task CreateMessageAsync(HttpContext context, IFormCollection form)
    {
        var to = form["To"].ToString();
        var from = form["From"].ToString();
        var service = form["MessagingServiceSid"].ToString();
        var body = form["Body"].ToString();
        if (Validate(to, from.Length > 0 ? from : _options.OwnedNumbers[0]) is { } e)
        {
            await ErrorAsync(context, 400, e.Code, e.Message);
            return;
        }

        if (from.Length == 0 && service.Length == 0)
        {
            await ErrorAsync(context, 400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required");
            return;
        }

        if (to.StartsWith("+81", StringComparison.Ordinal) && !MobileJp().IsMatch(to))
        {
            await ErrorAsync(context, 400, 21614, "'To' number is not a valid mobile number");
            return;
        }

        if (body.Length == 0 || body.Length > 1600)
        {
            await ErrorAsync(context, 400, body.Length == 0 ? 21602 : 21617, "Message body is required and at most 1600 characters");
            return;
        }

        var segments = Segments(body);
        var sid = "SM" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var callback = form["StatusCallback"].ToString();
        var message = new FakeMessage(sid, to, from.Length > 0 ? from : null, _options.KeepBodies ? body : "", segments, callback.Length > 0 ? callback : null, _time.GetTimestamp());
        _messages.Enqueue(message);
        Record(to, callback);
        await JsonAsync(context, 201, new Dictionary<string, object?>
        {
            ["sid"] = sid, ["account_sid"] = _options.AccountSid, ["to"] = to, ["from"] = from.Length > 0 ? from : null, ["messaging_service_sid"] = service.Length > 0 ? service : null,
            ["body"] = body, ["status"] = "queued", ["num_segments"] = segments.ToString(CultureInfo.InvariantCulture), ["direction"] = "outbound-api",
            ["api_version"] = "2010-04-01", ["date_created"] = Rfc2822(_time.GetUtcNow()), ["date_updated"] = Rfc2822(_time.GetUtcNow()),
            ["error_code"] = null, ["error_message"] = null, ["uri"] = $"/2010-04-01/Accounts/{_options.AccountSid}/Messages/{sid}.json",
        });
        if (message.StatusCallback is { } url)
        {
            // No callback for the initial status; then sent and delivered.
            Run(async () =>
            {
                foreach (var status in new[] { "sent", "delivered" })
                {
                    await Task.Delay(_options.EventGap, _time);
                    await CallbackAsync(url, new() { ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = _options.AccountSid, ["From"] = _options.OwnedNumbers[0],
                        ["To"] = to, ["MessageStatus"] = status, ["SmsStatus"] = status, ["ApiVersion"] = "2010-04-01" });
                }
            });
        }
    }

    private (int Code, string Message)? Validate(string to, string from)
    {
        if (!E164().IsMatch(to))
        {
            return (21211, $"The 'To' number {to} is not a valid phone number.");
        }

        if (!_options.OwnedNumbers.Contains(from))
        {
            return (21210, $"The source phone number provided, {from}, is not yet verified for your account.");
        }

        return to == from ? (21211, "'To' and 'From' are the same number.") : null;
    }

    /// <summary>Twilio's CPS: one token per call, refilled at the CPS, at most one second's worth banked. A call without a token
    /// waits in the queue (reported as queue_time), never refused.</summary>
    private long TakeCallSlot()
    {
        lock (_bucketLock)
        {
            var now = _time.GetTimestamp();
            var cps = Math.Max(0.001, _options.CallsPerSecond);
            _tokens = Math.Min(Math.Max(1, cps), _tokens + (cps * (now - _bucketAt) / _time.TimestampFrequency));
            _bucketAt = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return 0;
            }

            Interlocked.Increment(ref _queuedBeyondCps);
            var waitMs = (long)Math.Ceiling((1 - _tokens) / cps * 1000);
            _tokens -= 1;
            return waitMs;
        }
    }

    private async Task PlayCallAsync(FakeCall call, List<string> events, bool amd)
    {
        if (call.QueueTimeMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(call.QueueTimeMs), _time);
        }

        var sequence = 0;
        var parameters = new Dictionary<string, string>
        {
            ["CallSid"] = call.Sid, ["AccountSid"] = _options.AccountSid, ["From"] = call.From, ["To"] = call.To, ["Direction"] = "outbound-api",
            ["ApiVersion"] = "2010-04-01", ["CallbackSource"] = "call-progress-events",
        };

        async Task ProgressAsync(string status, string? eventName = null, Dictionary<string, string>? extra = null)
        {
            await Task.Delay(_options.EventGap, _time);
            if (call.StatusCallback is null || (events.Count > 0 ? !events.Contains(eventName ?? status) : (eventName ?? status) != "completed"))
            {
                return;
            }

            var p = new Dictionary<string, string>(parameters) { ["CallStatus"] = status, ["SequenceNumber"] = (sequence++).ToString(CultureInfo.InvariantCulture),
                ["Timestamp"] = Rfc2822(_time.GetUtcNow()) };
            foreach (var (k, v) in extra ?? [])
            {
                p[k] = v;
            }

            call.Callbacks.Enqueue((status, await CallbackAsync(call.StatusCallback, p)));
        }

        await ProgressAsync("initiated");
        await ProgressAsync("ringing");
        switch (call.Outcome)
        {
            case CallOutcome.Busy or CallOutcome.NoAnswer or CallOutcome.Failed:
                await ProgressAsync(call.Outcome switch { CallOutcome.Busy => "busy", CallOutcome.NoAnswer => "no-answer", _ => "failed" }, "completed");
                return;
        }

        var answeredBy = !amd ? null : call.Outcome == CallOutcome.Machine ? "machine_end_beep" : "human";
        var answered = answeredBy is null ? null : new Dictionary<string, string> { ["AnsweredBy"] = answeredBy };
        await ProgressAsync("in-progress", "answered", answered);
        if (call.Url is { } url)
        {
            var request = new Dictionary<string, string>(parameters) { ["CallStatus"] = "in-progress" };
            request.Remove("CallbackSource");
            if (answeredBy is not null)
            {
                request["AnsweredBy"] = answeredBy;
            }

            var (status, twiml) = await FetchAsync(url, request);
            call.Twiml = _options.KeepBodies ? twiml : null;
            if (status == 200 && Play(twiml) is { } say)
            {
                Record(call.To, url);
                if (call.Outcome == CallOutcome.HumanPresses1 && say.GatherAction is { } action)
                {
                    var digits = new Dictionary<string, string>(request) { ["Digits"] = "1" };
                    var (_, after) = await FetchAsync(action, digits);
                    call.AfterDigits = after;
                }
            }
        }

        await ProgressAsync("completed", extra: new Dictionary<string, string>(answered ?? []) { ["CallDuration"] = "42" });
    }

    /// <summary>Checks the TwiML as Twilio would before speaking it: a Response root, Say with a language Twilio speaks.</summary>
    private static (string Text, string? GatherAction)? Play(string twiml)
    {
        XElement root;
        try
        {
            root = XElement.Parse(twiml);
        }
        catch (XmlException)
        {
            return null;
        }

        var says = root.Descendants("Say").ToList();
        if (root.Name.LocalName != "Response" || says.Count == 0 || says.Any(s => (string?)s.Attribute("language") is { } l && !Languages.Contains(l)))
        {
            return null;
        }

        return (string.Concat(says.Select(s => s.Value)), (string?)root.Descendants("Gather").FirstOrDefault()?.Attribute("action"));
    }

    private void Record(string to, string? callbackUrl)
    {
        if (!_residents.TryGetValue(to, out var externalId) || callbackUrl is null)
        {
            return;
        }

        // The hub names the alert in its callback URLs: d=<alert id>:<version>:<resident>:<channel>:<attempt>.
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(callbackUrl).Query);
        var parts = query.TryGetValue("d", out var d) ? d.ToString().Split(':') : [];
        if (parts.Length == 5 && int.TryParse(parts[1], out var version))
        {
            _log.Add(new Receipt(externalId, Channel, parts[0], version, _time.GetTimestamp(), string.Join(':', parts[..4])));
        }
        else
        {
            _log.MalformedPayload();
        }
    }

    private async Task<int> CallbackAsync(string url, Dictionary<string, string> parameters) => (await PostSignedAsync(url, parameters)).Status;

    private async Task<(int Status, string Body)> FetchAsync(string url, Dictionary<string, string> parameters) => await PostSignedAsync(url, parameters);

    private async Task<(int Status, string Body)> PostSignedAsync(string url, Dictionary<string, string> parameters)
    {
        var signature = Sign(_options.AuthToken, url, parameters);
        var sent = parameters;
        if (Interlocked.Exchange(ref _tamperNext, 0) == 1)
        {
            // Signed over what Twilio would send, then a parameter changed on the way.
            sent = new Dictionary<string, string>(parameters) { ["CallStatus"] = "completed", ["Digits"] = "1" };
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(sent) };
            request.Headers.Add("X-Twilio-Signature", signature);
            request.Headers.UserAgent.ParseAdd("TwilioProxy/1.1");
            using var response = await CallbackClient.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _callbackFailures);
            }

            return ((int)response.StatusCode, body);
        }
        catch (Exception e) when (e is HttpRequestException or ObjectDisposedException or InvalidOperationException or TaskCanceledException)
        {
            // The hub is gone (stopped, or a test's in-process hub disposed): the callback is lost, as with Twilio.
            Interlocked.Increment(ref _callbackFailures);
            return (0, "");
        }
    }

    private void Run(Func<Task> work)
    {
        var task = Task.Run(work);
        lock (_running)
        {
            _running.RemoveAll(t => t.IsCompleted);
            _running.Add(task);
        }
    }

    /// <summary>UCS-2 for anything outside GSM-7: 70 in one segment, 67 per part; GSM-7 160 / 153.</summary>
    public static int Segments(string body)
    {
        const string gsm = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€";
        if (body.All(c => gsm.Contains(c, StringComparison.Ordinal)))
        {
            var septets = body.Sum(c => "^{}\\[~]|€".Contains(c, StringComparison.Ordinal) ? 2 : 1);
            return septets <= 160 ? 1 : (int)Math.Ceiling(septets / 153d);
        }

        return body.Length <= 70 ? 1 : (int)Math.Ceiling(body.Length / 67d);
    }

    private async Task ErrorAsync(HttpContext context, int status, int code, string message)
    {
        _errors.Enqueue((status, code));
        await JsonAsync(context, status, new Dictionary<string, object?>
        {
            ["code"] = code, ["message"] = message, ["more_info"] = $"https://www.twilio.com/docs/errors/{code}", ["status"] = status,
        });
    }

    private static async Task JsonAsync(HttpContext context, int status, Dictionary<string, object?> body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    private static string Rfc2822(DateTimeOffset t) => t.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DrainAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }

        if (_app is not null)
        {
            await _app.StopAndDisposeAsync();
        }
    }

    [GeneratedRegex(@"^\+[1-9]\d{1,14}$")]
    private static partial Regex E164();

    [GeneratedRegex(@"^\+81[789]0\d{8}$")]
    private static partial Regex MobileJp();

    [GeneratedRegex("^AC[0-9a-f]{32}$")]
    private static partial Regex AccountSid();
}
