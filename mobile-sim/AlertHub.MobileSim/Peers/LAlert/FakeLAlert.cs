using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AlertHub.MobileSim.Peers.LAlert;

/// <summary>A document the fake accepted (answered code 0), as it arrived.</summary>
internal sealed record LAlertReceived(string Node, string DocumentId, int Revision, string DistributionType, string Status, string Category,
    string DistributionId, string Xml, DateTimeOffset At);

/// <summary>A request the fake refused: the <c>processResponse/code</c> (or <c>fault</c> for a SOAP fault) and why.</summary>
internal sealed record LAlertRefusal(string Node, string Code, string Reason);

/// <summary>Options of <see cref="FakeLAlert"/>.</summary>
internal sealed class FakeLAlertOptions
{
    /// <summary>0 = any free port.</summary>
    public int Port { get; set; }

    /// <summary>WS-Security users (username → password).</summary>
    public Dictionary<string, string> Users { get; set; } = new() { ["yokote-sender"] = "yokote-password-0001" };

    /// <summary>How far <c>wsu:Created</c> may be from now (the real window is not public; this is the fake's choice). Default 5 min.</summary>
    public TimeSpan CreatedWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>発令区分 accepted in <c>Sort</c>: the 2021 names and the older ones (both appear in the wild).</summary>
    public HashSet<string> Sorts { get; set; } = ["高齢者等避難", "避難指示", "緊急安全確保", "避難準備", "避難勧告", "警戒区域"];
}

/// <summary>
/// A stand-in for an Lアラート node on 127.0.0.1 that checks what the public material says the real one checks
/// (reference: publishing-and-telephony.md A.7): SOAP 1.1 <c>publish</c> with exactly one EDXL-DE distribution, a WS-Security
/// UsernameToken with a PasswordDigest over a fresh nonce and a recent Created, the required envelope elements and their copies
/// in Control and Head, 6-digit codes with a valid check digit (12-digit 町丁目 codes inside the municipality), the enumerations
/// of each body, and the lifecycle of each documentID (Report at revision 1, each Update one higher, nothing after a Cancel).
/// It answers <c>processResponse/code</c> 0, or 402 with the reason; a bad token is a SOAP fault. How the real node answers a
/// repeated distributionID is not public: the fake answers 0 for the same bytes again (counted as a duplicate) and 402 for
/// different bytes under a used id. Any path is a node; the path's last segment names it.
/// </summary>
internal sealed class FakeLAlert : IAsyncDisposable
{
    private const string SoapNs = "http://schemas.xmlsoap.org/soap/envelope/";
    private const string PublishNs = "http://soap.publiccommons.ne.jp/";
    private const string EdxlNs = "urn:oasis:names:tc:emergency:EDXL:DE:1.0";

    private static readonly string[] ShelterTypes = ["避難所", "臨時避難所", "広域避難場所:開設措置なし", "一時避難場所:開設措置なし"];
    private static readonly string[] ShelterSorts = ["未開設", "開設", "閉鎖", "不明", "常設"];
    private static readonly string[] ShelterStatuses = ["空き", "混雑", "定員一杯", "不明"];
    private static readonly string[] GiCategories = ["交通", "ライフライン", "生活情報"];
    private static readonly string[] GiSubCategories = ["道路", "鉄道", "バス", "航空", "船舶", "電気", "ガス", "水道", "給水", "通信", "放送", "行政手続き", "被災者支援", "福祉・教育・保育", "環境", "防犯", "医療", "その他"];

    private readonly FakeLAlertOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentQueue<LAlertReceived> _received = new();
    private readonly ConcurrentQueue<LAlertRefusal> _refusals = new();
    private readonly ConcurrentDictionary<string, string> _distributions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _nonces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Revision, bool Open, string Xml)> _documents = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _failNext;
    private int _failCode;
    private int _duplicates;
    private WebApplication? _app;

    public FakeLAlert(FakeLAlertOptions? options = null, TimeProvider? time = null)
    {
        _options = options ?? new FakeLAlertOptions();
        _time = time ?? TimeProvider.System;
    }

    public string BaseUrl { get; private set; } = "";

    public FakeLAlertOptions Options => _options;

    /// <summary>The URL of a node: <c>{base}/commons/subscriber/soap/{node}/</c>.</summary>
    public string NodeUrl(string node) => $"{BaseUrl}/commons/subscriber/soap/{node}/";

    public IReadOnlyList<LAlertReceived> Received => [.. _received];

    public IReadOnlyList<LAlertRefusal> Refusals => [.. _refusals];

    /// <summary>Accepted again as the same bytes under the same distributionID (a retry after a lost answer).</summary>
    public int Duplicates => Volatile.Read(ref _duplicates);

    /// <summary>The latest accepted document per node and documentID (<c>node/documentID</c>; each publication replaces the previous: the full state).</summary>
    public IReadOnlyDictionary<string, string> Documents
    {
        get
        {
            lock (_lock)
            {
                return _documents.ToDictionary(d => d.Key, d => d.Value.Xml);
            }
        }
    }

    /// <summary>The next <paramref name="count"/> well-formed requests get <paramref name="code"/> (901 システムエラー by default) and are not stored.</summary>
    public void FailNext(int count, int code = 901)
    {
        Volatile.Write(ref _failCode, code);
        Volatile.Write(ref _failNext, count);
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeLAlert).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, _options.Port));
        var app = builder.Build();
        app.MapPost("/{**path}", (string? path, HttpContext context) => HandleAsync(path ?? "", context));
        await app.StartAsync(cancellationToken);
        _app = app;
        BaseUrl = (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel did not report the address it bound.")).TrimEnd('/');
    }

    /// <summary>Posts raw bytes to a node as a SOAP client would (for tests of what the fake refuses).</summary>
    public async Task<(int Status, string Body)> PostRawAsync(string node, byte[] body, string contentType = "text/xml; charset=utf-8", bool soapAction = true)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, NodeUrl(node)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (soapAction)
        {
            request.Headers.TryAddWithoutValidation("SOAPAction", "\"\"");
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A SOAP request as a correct sender writes it (fresh nonce, digest), around the given distribution XML.</summary>
    public string Envelope(string distributionXml, string? username = null, string? password = null, DateTimeOffset? created = null, byte[]? nonce = null)
    {
        username ??= _options.Users.Keys.First();
        password ??= _options.Users[username];
        nonce ??= RandomNumberGenerator.GetBytes(16);
        var createdText = (created ?? _time.GetUtcNow()).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return $"""<soap:Envelope xmlns:soap="{SoapNs}"><soap:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsse:UsernameToken><wsse:Username>{username}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">{Digest(nonce, createdText, password)}</wsse:Password><wsse:Nonce>{Convert.ToBase64String(nonce)}</wsse:Nonce><wsu:Created>{createdText}</wsu:Created></wsse:UsernameToken></wsse:Security></soap:Header><soap:Body><pcsoap:publish xmlns:pcsoap="{PublishNs}"><pcsoap:message>{distributionXml}</pcsoap:message></pcsoap:publish></soap:Body></soap:Envelope>""";
    }

    public static string Digest(byte[] nonce, string created, string password)
    {
#pragma warning disable CA5350 // the WS-Security UsernameToken profile's digest
        return Convert.ToBase64String(SHA1.HashData([.. nonce, .. Encoding.UTF8.GetBytes(created), .. Encoding.UTF8.GetBytes(password)]));
#pragma warning restore CA5350
    }

    private async Task HandleAsync(string path, HttpContext context)
    {
        var node = path.TrimEnd('/').Split('/').LastOrDefault() is { Length: > 0 } n ? n : "default";
        if (context.Request.ContentType is not { } type || !type.StartsWith("text/xml", StringComparison.OrdinalIgnoreCase) || !context.Request.Headers.ContainsKey("SOAPAction"))
        {
            await FaultAsync(context, node, "soap:Client", "SOAP 1.1 needs Content-Type text/xml and a SOAPAction header.");
            return;
        }

        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(context.Request.Body, new XmlReaderSettings
            {
                Async = true, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 10_000_000,
            });
            doc = await XDocument.LoadAsync(reader, LoadOptions.None, context.RequestAborted);
        }
        catch (XmlException e)
        {
            await FaultAsync(context, node, "soap:Client", "not XML: " + e.Message);
            return;
        }

        var envelope = doc.Root;
        var body = envelope?.Name == XName.Get("Envelope", SoapNs) ? envelope.Element(XName.Get("Body", SoapNs)) : null;
        if (body is null)
        {
            await FaultAsync(context, node, "soap:Client", "not a SOAP 1.1 envelope");
            return;
        }

        if (Authenticate(envelope!) is { } authProblem)
        {
            await FaultAsync(context, node, "wsse:FailedAuthentication", authProblem);
            return;
        }

        var messages = body.Elements(XName.Get("publish", PublishNs)).Elements(XName.Get("message", PublishNs)).ToList();
        var distributions = messages.SelectMany(m => m.Elements()).ToList();
        if (messages.Count != 1 || distributions.Count != 1 || distributions[0].Name != XName.Get("EDXLDistribution", EdxlNs))
        {
            await AnswerAsync(context, node, 402, "publish/message must hold exactly one edxlde:EDXLDistribution");
            return;
        }

        if (Interlocked.Decrement(ref _failNext) >= 0)
        {
            await AnswerAsync(context, node, Volatile.Read(ref _failCode), "scripted failure");
            return;
        }

        Interlocked.Exchange(ref _failNext, 0);
        var (code, reason) = Accept(node, distributions[0]);
        await AnswerAsync(context, node, code, reason);
    }

    private string? Authenticate(XElement envelope)
    {
        var token = envelope.Descendants().FirstOrDefault(e => e.Name.LocalName == "UsernameToken");
        string? Text(string name) => token?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        var username = Text("Username");
        var password = token?.Elements().FirstOrDefault(e => e.Name.LocalName == "Password");
        var nonceText = Text("Nonce");
        var created = Text("Created");
        if (username is null || !_options.Users.TryGetValue(username, out var secret))
        {
            return "unknown user";
        }

        if (password is null || (string?)password.Attribute("Type") is not { } t || !t.EndsWith("#PasswordDigest", StringComparison.Ordinal))
        {
            return "the password must be a PasswordDigest";
        }

        byte[] nonce;
        try
        {
            nonce = Convert.FromBase64String(nonceText ?? "");
        }
        catch (FormatException)
        {
            return "Nonce is not Base64";
        }

        if (nonce.Length == 0 || created is null || !created.EndsWith('Z')
            || !DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            || (_time.GetUtcNow() - at).Duration() > _options.CreatedWindow)
        {
            return "Created is missing, not UTC, or outside the window";
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Digest(nonce, created, secret)), Encoding.ASCII.GetBytes(password.Value)))
        {
            return "the digest does not match";
        }

        return _nonces.TryAdd(nonceText!, 0) ? null : "the nonce was used before";
    }

    private (int Code, string Reason) Accept(string node, XElement d)
    {
        string? Env(string name) => d.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        var distributionId = Env("distributionID");
        var status = Env("distributionStatus");
        var type = Env("distributionType");
        var sent = Env("dateTimeSent");
        if (distributionId is null || Env("senderID") is not { Length: > 0 } || sent is null || Env("combinedConfidentiality") is null)
        {
            return (402, "distributionID, senderID, dateTimeSent and combinedConfidentiality are required");
        }

        if (!Guid.TryParse(distributionId, out _))
        {
            return (402, "distributionID is not a UUID");
        }

        if (status is not ("Actual" or "Exercise" or "System" or "Test") || type is not ("Report" or "Update" or "Cancel"))
        {
            return (402, $"distributionStatus '{status}' / distributionType '{type}' not allowed");
        }

        if (!DateTimeOffset.TryParse(sent, CultureInfo.InvariantCulture, DateTimeStyles.None, out _) || !(sent.EndsWith('Z') || sent.Contains('+', StringComparison.Ordinal) || sent.LastIndexOf('-') > 9))
        {
            return (402, "dateTimeSent needs an offset");
        }

        var canonical = d.ToString(SaveOptions.DisableFormatting);
        if (_distributions.TryGetValue(distributionId + "@" + node, out var before))
        {
            if (before == canonical)
            {
                Interlocked.Increment(ref _duplicates);
                return (0, "duplicate of an accepted distribution");
            }

            return (402, "distributionID was used before for another message");
        }

        var content = d.Elements().FirstOrDefault(e => e.Name.LocalName == "contentObject");
        string? Content(string name) => content?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        var documentId = Content("documentID");
        var category = Content("category");
        var report = content?.Descendants().FirstOrDefault(e => e.Name.LocalName == "Report" && e.Name.NamespaceName.StartsWith("http://xml.publiccommons.ne.jp/pcxml1/", StringComparison.Ordinal));
        if (documentId is null || category is null || report is null || !int.TryParse(Content("documentRevision"), NumberStyles.None, CultureInfo.InvariantCulture, out var revision) || revision < 1)
        {
            return (402, "contentObject needs documentID, documentRevision ≥ 1, category and an embedded PCXML Report");
        }

        var control = report.Elements().FirstOrDefault(e => e.Name.LocalName == "Control");
        var head = report.Elements().FirstOrDefault(e => e.Name.LocalName == "Head");
        string? Of(XElement? parent, string name) => parent?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        var bodyElement = report.Elements().FirstOrDefault(e => e.Name.LocalName is not ("Control" or "Head"));
        if (Of(control, "Title") != category || bodyElement?.Name.LocalName != category)
        {
            return (402, $"Control/Title, commons:category and the body element must agree (category {category}, body {bodyElement?.Name.LocalName})");
        }

        if (Of(control, "distributionStatus") != status || Of(head, "distributionID") != distributionId || Of(head, "distributionType") != type
            || Of(head, "documentID") != documentId || Of(head, "documentRevision") != Content("documentRevision"))
        {
            return (402, "Control and Head must repeat the envelope's status, distributionID, distributionType, documentID and documentRevision");
        }

        foreach (var previous in new[] { Of(head, "previousDocumentRevision"), Content("previousDocumentRevision") }.OfType<string>())
        {
            if (previous != (revision - 1).ToString(CultureInfo.InvariantCulture))
            {
                return (402, "previousDocumentRevision must be documentRevision − 1");
            }
        }

        var target = d.Descendants().FirstOrDefault(e => e.Name.LocalName == "targetArea")?.Elements().FirstOrDefault(e => e.Name.LocalName == "jisX0402")?.Value;
        foreach (var code in d.Descendants().Where(e => e.Name.LocalName is "jisX0402" or "OrganizationCode" or "publishingOfficeID"))
        {
            if (!ValidJis6(code.Value))
            {
                return (402, $"{code.Name.LocalName} '{code.Value}' is not a 6-digit code with a valid check digit");
            }
        }

        foreach (var town in d.Descendants().Where(e => e.Name.LocalName == "ooAzaTyouTyouMokuCode" && e.Value.Length > 0))
        {
            if (town.Value.Length != 12 || !town.Value.All(char.IsAsciiDigit) || target is null || !town.Value.StartsWith(target[..5], StringComparison.Ordinal))
            {
                return (402, $"ooAzaTyouTyouMokuCode '{town.Value}' is not a 12-digit code of the target municipality");
            }
        }

        if (CheckBody(bodyElement) is { } bodyProblem)
        {
            return (402, bodyProblem);
        }

        lock (_lock)
        {
            // Each node (全国センター, バックアップセンター) keeps its own copy of every document.
            var key = node + "/" + documentId;
            var known = _documents.TryGetValue(key, out var doc);
            var problem = (type, known) switch
            {
                ("Report", true) => "Report for a documentID already known",
                ("Report", false) when revision != 1 => "a Report starts at revision 1",
                (_, false) when type != "Report" => $"{type} for an unknown documentID",
                (_, true) when !doc.Open => "the document was cancelled",
                (_, true) when revision != doc.Revision + 1 => $"revision {revision} does not follow {doc.Revision}",
                _ => null,
            };
            if (problem is not null)
            {
                return (402, problem);
            }

            _documents[key] = (revision, type != "Cancel", canonical);
            _distributions[distributionId + "@" + node] = canonical;
        }

        _received.Enqueue(new LAlertReceived(node, documentId, revision, type, status, category, distributionId, canonical, _time.GetUtcNow()));
        return (0, "OK");
    }

    private string? CheckBody(XElement body)
    {
        IEnumerable<string> All(string name) => body.Descendants().Where(e => e.Name.LocalName == name).Select(e => e.Value);
        foreach (var count in body.Descendants().Where(e => e.Name.LocalName is "HeadCount" or "HeadCountVoluntary" or "Households" or "HouseholdsVoluntary"
                     or "Capacity" or "TotalNumberOfShelter"))
        {
            if (count.Value.Length > 0 && !uint.TryParse(count.Value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return $"{count.Name.LocalName} '{count.Value}' is not a non-negative integer";
            }
        }

        foreach (var time in body.Descendants().Where(e => e.Name.LocalName is "DateTime" or "CheckedDateTime"))
        {
            if (!DateTimeOffset.TryParse(time.Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                return $"{time.Name.LocalName} '{time.Value}' is not a time";
            }
        }

        return body.Name.LocalName switch
        {
            "EvacuationOrder" => All("Sort").FirstOrDefault(s => !_options.Sorts.Contains(s)) is { } sort ? $"Sort '{sort}' is not a 発令区分"
                : All("IssueOrLift").FirstOrDefault(s => s is not ("発令" or "解除")) is { } iol ? $"IssueOrLift '{iol}' is not 発令 or 解除" : null,
            "Shelter" => All("Type").FirstOrDefault(s => !ShelterTypes.Contains(s)) is { } t ? $"Type '{t}' is not a shelter type"
                : All("Sort").FirstOrDefault(s => !ShelterSorts.Contains(s)) is { } s2 ? $"Sort '{s2}' is not a shelter Sort"
                : All("Status").FirstOrDefault(s => !ShelterStatuses.Contains(s)) is { } st ? $"Status '{st}' is not a 混雑状況" : null,
            "GeneralInformation" => All("DisasterInformationType").FirstOrDefault(s => s is not ("Alert" or "Disaster" or "Ordinary")) is { } dit ? $"DisasterInformationType '{dit}'"
                : All("Category").FirstOrDefault(s => !GiCategories.Contains(s)) is { } c ? $"Category '{c}'"
                : All("SubCategory").FirstOrDefault(s => !GiSubCategories.Contains(s)) is { } sc ? $"SubCategory '{sc}'" : null,
            _ => null,
        };
    }

    /// <summary>6 digits whose last is 総務省's check digit over the first five (SaigaiTask's mod-11 variant fails here on purpose).</summary>
    public static bool ValidJis6(string code)
    {
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 5; i++)
        {
            sum += (code[i] - '0') * (6 - i);
        }

        return code[5] - '0' == (11 - (sum % 11)) % 10;
    }

    private async Task AnswerAsync(HttpContext context, string node, int code, string result)
    {
        if (code != 0)
        {
            _refusals.Enqueue(new LAlertRefusal(node, code.ToString(CultureInfo.InvariantCulture), result));
        }

        context.Response.ContentType = "text/xml; charset=utf-8";
        await context.Response.WriteAsync($"""<soap:Envelope xmlns:soap="{SoapNs}"><soap:Body><pcsoap:publishResponse xmlns:pcsoap="{PublishNs}"><processResponse><code>{code}</code><result>{System.Security.SecurityElement.Escape(result)}</result></processResponse></pcsoap:publishResponse></soap:Body></soap:Envelope>""");
    }

    private async Task FaultAsync(HttpContext context, string node, string code, string reason)
    {
        _refusals.Enqueue(new LAlertRefusal(node, "fault " + code, reason));
        context.Response.StatusCode = 500;
        context.Response.ContentType = "text/xml; charset=utf-8";
        await context.Response.WriteAsync($"""<soap:Envelope xmlns:soap="{SoapNs}"><soap:Body><soap:Fault><faultcode xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">{code}</faultcode><faultstring>{System.Security.SecurityElement.Escape(reason)}</faultstring></soap:Fault></soap:Body></soap:Envelope>""");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAndDisposeAsync();
        }
    }
}
