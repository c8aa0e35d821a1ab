using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Xml;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Net.Http.Headers;

namespace AlertHub.MobileSim.Peers.Jma;

/// <summary>Settings of a <see cref="FakeJmaFeed"/>.</summary>
internal sealed class FakeJmaFeedOptions
{
    /// <summary>Port on 127.0.0.1: 0 (ephemeral) in tests, <see cref="FakeJmaFeed.DefaultLoadPort"/> for load runs.</summary>
    public int Port { get; set; }

    /// <summary>Newest entries each feed lists (JMA's short feeds keep about ten minutes). Default 200.</summary>
    public int MaxEntriesPerFeed { get; set; } = 200;

    /// <summary>Office code in the data file names. Default 010000 (気象庁本庁).</summary>
    public string OfficeCode { get; set; } = "010000";
}

/// <summary>One telegram the fake announces.</summary>
/// <param name="Path">Request path of the telegram, e.g. <c>/developer/xml/data/20240101000000_0_VXSE53_010000.xml</c>.</param>
internal sealed record FakeJmaTelegram(string Feed, string DataType, string Path, string Url, DateTimeOffset Updated, string Title, byte[] Bytes);

/// <summary>
/// JMA's Atom PULL distribution on 127.0.0.1: <c>/developer/xml/feed/extra.xml</c> and <c>eqvol.xml</c> built from
/// telegrams published at run time, as JMA writes them (entry id = link = data URL, feed updated in JST, entries in
/// UTC, newest first), the telegrams under <c>/developer/xml/data/</c>, ETag / Last-Modified with 304, scripted
/// failures (status codes for N requests, slow answers, a replacement body) and request counts per path and status.
/// </summary>
internal sealed class FakeJmaFeed : IAsyncDisposable
{
    public const int DefaultLoadPort = 5095;
    public const string ExtraPath = "/developer/xml/feed/extra.xml";
    public const string EqvolPath = "/developer/xml/feed/eqvol.xml";
    public const string DataPrefix = "/developer/xml/data/";

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private readonly FakeJmaFeedOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, FeedBook> _feeds = new(StringComparer.Ordinal)
    {
        [ExtraPath] = new FeedBook("extra", "高頻度（随時）"),
        [EqvolPath] = new FeedBook("eqvol", "高頻度（地震火山）"),
    };
    private readonly ConcurrentDictionary<string, FakeJmaTelegram> _telegrams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Path, int Status), int> _responses = new();
    private readonly List<Script> _scripts = [];
    private WebApplication? _app;

    public FakeJmaFeed(FakeJmaFeedOptions? options = null, TimeProvider? time = null)
    {
        _options = options ?? new FakeJmaFeedOptions();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>e.g. <c>http://127.0.0.1:5095</c>; valid after <see cref="StartAsync"/>.</summary>
    public string BaseUrl { get; private set; } = "";

    public string ExtraUrl => BaseUrl + ExtraPath;

    public string EqvolUrl => BaseUrl + EqvolPath;

    /// <summary>Configuration that points the hub's poller here.</summary>
    public IReadOnlyDictionary<string, string?> HubSettings => new Dictionary<string, string?>
    {
        ["Feeds:Jma:Enabled"] = "true",
        ["Feeds:Jma:FeedUrls:0"] = ExtraUrl,
        ["Feeds:Jma:FeedUrls:1"] = EqvolUrl,
    };

    public IReadOnlyCollection<FakeJmaTelegram> Telegrams => [.. _telegrams.Values];

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeJmaFeed).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, _options.Port));
        var app = builder.Build();
        app.MapGet("/developer/xml/feed/{name}", (string name, HttpContext context) => ServeAsync("/developer/xml/feed/" + name, context, ServeFeed));
        app.MapGet("/developer/xml/data/{name}", (string name, HttpContext context) => ServeAsync(DataPrefix + name, context, ServeTelegram));
        await app.StartAsync(cancellationToken);
        _app = app;
        BaseUrl = (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel did not report the address it bound.")).TrimEnd('/');
    }

    /// <summary>
    /// Adds a telegram and a new entry for it to its feed (eqvol for earthquake, tsunami and volcano types, extra
    /// otherwise), returning it with its data URL <c>/developer/xml/data/yyyyMMddHHmmss_N_TYPE_OFFICE.xml</c>.
    /// </summary>
    /// <param name="title">The entry title (Control/Title); default: read from the telegram, else the data type.</param>
    public FakeJmaTelegram Publish(string dataType, byte[] telegram, DateTimeOffset updated, string? title = null, string? content = null)
    {
        var feedPath = IsEqvol(dataType) ? EqvolPath : ExtraPath;
        lock (_gate)
        {
            var stamp = updated.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            string path;
            var n = 0;
            do
            {
                path = $"{DataPrefix}{stamp}_{n++}_{dataType}_{_options.OfficeCode}.xml";
            }
            while (_telegrams.ContainsKey(path));

            var entry = new FakeJmaTelegram(_feeds[feedPath].Name, dataType, path, BaseUrl + path, updated.ToUniversalTime(),
                title ?? ControlTitle(telegram) ?? dataType, telegram);
            _telegrams[path] = entry;
            var book = _feeds[feedPath];
            book.Entries.Insert(0, (entry, content));
            if (book.Entries.Count > _options.MaxEntriesPerFeed)
            {
                book.Entries.RemoveRange(_options.MaxEntriesPerFeed, book.Entries.Count - _options.MaxEntriesPerFeed);
            }

            book.Version++;
            book.LastModified = _time.GetUtcNow();
            return entry;
        }
    }

    /// <summary>The next <paramref name="count"/> requests (to <paramref name="path"/>, or to any feed when null) answer <paramref name="status"/>.</summary>
    public void FailNext(int count, int status = 500, string? path = null) => AddScript(new Script(count, path, status, TimeSpan.Zero, null));

    /// <summary>The next <paramref name="count"/> requests (to <paramref name="path"/>, or to any feed) wait <paramref name="delay"/> first.</summary>
    public void SlowNext(int count, TimeSpan delay, string? path = null) => AddScript(new Script(count, path, null, delay, null));

    /// <summary>The next <paramref name="count"/> requests (to <paramref name="path"/>, or to any feed) get <paramref name="body"/> with 200 instead.</summary>
    public void ServeBodyNext(int count, byte[] body, string? path = null) => AddScript(new Script(count, path, null, TimeSpan.Zero, body));

    /// <summary>Requests to a path (<c>/developer/…</c>) or a full URL, whatever the answer.</summary>
    public int RequestCount(string pathOrUrl) => _requests.GetValueOrDefault(PathOf(pathOrUrl));

    /// <summary>Answers with <paramref name="status"/> to a path or URL (200 and 304 tell full fetches from conditional hits).</summary>
    public int ResponseCount(string pathOrUrl, int status) => _responses.GetValueOrDefault((PathOf(pathOrUrl), status));

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAndDisposeAsync();
        }
    }

    // Earthquake, tsunami and volcano products go to eqvol.xml; everything else of interest to extra.xml.
    private static readonly string[] EqvolPrefixes = ["VXSE", "VTSE", "VZSE", "VYSE", "VFVO", "VFSV", "VZVO"];

    private static bool IsEqvol(string dataType) => EqvolPrefixes.Any(p => dataType.StartsWith(p, StringComparison.Ordinal));

    private string PathOf(string pathOrUrl) =>
        Uri.TryCreate(pathOrUrl, UriKind.Absolute, out var uri) ? uri.AbsolutePath : pathOrUrl;

    private void AddScript(Script script)
    {
        lock (_gate)
        {
            _scripts.Add(script);
        }
    }

    private Script? TakeScript(string path)
    {
        lock (_gate)
        {
            var isFeed = _feeds.ContainsKey(path);
            var script = _scripts.FirstOrDefault(s => s.Remaining > 0 && (s.Path is null ? isFeed : PathOf(s.Path) == path));
            if (script is not null)
            {
                script.Remaining--;
                if (script.Remaining == 0)
                {
                    _scripts.Remove(script);
                }
            }

            return script;
        }
    }

    private async Task ServeAsync(string path, HttpContext context, Func<string, HttpContext, Task<int>> serve)
    {
        _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        int status;
        var script = TakeScript(path);
        if (script is { Delay: var delay } && delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _time, context.RequestAborted);
        }

        if (script?.Status is { } scripted)
        {
            context.Response.StatusCode = status = scripted;
            await context.Response.WriteAsync($"scripted {scripted}", context.RequestAborted);
        }
        else if (script?.Body is { } body)
        {
            context.Response.StatusCode = status = 200;
            context.Response.ContentType = "application/atom+xml; charset=utf-8";
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
        else
        {
            status = await serve(path, context);
        }

        _responses.AddOrUpdate((path, status), 1, (_, n) => n + 1);
    }

    private async Task<int> ServeFeed(string path, HttpContext context)
    {
        byte[] body;
        string etag;
        DateTimeOffset lastModified;
        lock (_gate)
        {
            if (!_feeds.TryGetValue(path, out var book))
            {
                context.Response.StatusCode = 404;
                return 404;
            }

            etag = $"\"{book.Name}-{book.Version}\"";
            lastModified = book.LastModified ?? _time.GetUtcNow();
            if (NotModified(context.Request, etag, lastModified))
            {
                context.Response.StatusCode = 304;
                context.Response.Headers.ETag = etag;
                return 304;
            }

            body = BuildFeed(path, book, lastModified);
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/atom+xml; charset=utf-8";
        context.Response.Headers.ETag = etag;
        context.Response.Headers.LastModified = lastModified.ToString("R", CultureInfo.InvariantCulture);
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
        return 200;
    }

    private async Task<int> ServeTelegram(string path, HttpContext context)
    {
        if (!_telegrams.TryGetValue(path, out var telegram))
        {
            context.Response.StatusCode = 404;
            return 404;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/xml";
        context.Response.ContentLength = telegram.Bytes.Length;
        await context.Response.Body.WriteAsync(telegram.Bytes, context.RequestAborted);
        return 200;
    }

    // RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only counts without it (and has whole-second precision).
    private static bool NotModified(HttpRequest request, string etag, DateTimeOffset lastModified)
    {
        var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0)
        {
            return ifNoneMatch == "*" || ifNoneMatch.Split(',').Any(t => t.Trim() == etag || t.Trim() == "W/" + etag);
        }

        var ifModifiedSince = request.Headers.IfModifiedSince.ToString();
        return ifModifiedSince.Length > 0
            && HeaderUtilities.TryParseDate(ifModifiedSince, out var since)
            && lastModified.ToUnixTimeSeconds() <= since.ToUnixTimeSeconds();
    }

    private byte[] BuildFeed(string path, FeedBook book, DateTimeOffset updated)
    {
        using var stream = new MemoryStream();
        using (var w = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            const string atom = "http://www.w3.org/2005/Atom";
            w.WriteStartDocument();
            w.WriteStartElement("feed", atom);
            w.WriteAttributeString("lang", "ja");
            w.WriteElementString("title", atom, book.Title);
            w.WriteElementString("subtitle", atom, "JMAXML publishing feed");
            w.WriteElementString("updated", atom, updated.ToOffset(Jst).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
            w.WriteElementString("id", atom, $"{BaseUrl}{path}#short_{updated.ToUnixTimeSeconds()}");
            w.WriteStartElement("link", atom);
            w.WriteAttributeString("rel", "self");
            w.WriteAttributeString("href", BaseUrl + path);
            w.WriteEndElement();
            foreach (var (entry, content) in book.Entries)
            {
                w.WriteStartElement("entry", atom);
                w.WriteElementString("title", atom, entry.Title);
                w.WriteElementString("id", atom, entry.Url);
                w.WriteElementString("updated", atom, entry.Updated.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                w.WriteStartElement("author", atom);
                w.WriteElementString("name", atom, "気象庁");
                w.WriteEndElement();
                w.WriteStartElement("link", atom);
                w.WriteAttributeString("type", "application/xml");
                w.WriteAttributeString("href", entry.Url);
                w.WriteEndElement();
                w.WriteStartElement("content", atom);
                w.WriteAttributeString("type", "text");
                w.WriteString(content ?? $"【{entry.Title}】");
                w.WriteEndElement();
                w.WriteEndElement();
            }

            w.WriteEndElement();
        }

        return stream.ToArray();
    }

    /// <summary>Control/Title of a JMA telegram, read safely; null when it has none or is not XML.</summary>
    private static string? ControlTitle(byte[] telegram)
    {
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(telegram), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "Title" && reader.NamespaceURI == "http://xml.kishou.go.jp/jmaxml1/")
                {
                    return reader.ReadElementContentAsString().Trim();
                }
            }
        }
        catch (XmlException)
        {
        }

        return null;
    }

    private sealed class FeedBook(string name, string title)
    {
        public string Name { get; } = name;
        public string Title { get; } = title;
        public List<(FakeJmaTelegram Entry, string? Content)> Entries { get; } = [];
        public int Version { get; set; }
        public DateTimeOffset? LastModified { get; set; }
    }

    private sealed class Script(int count, string? path, int? status, TimeSpan delay, byte[]? body)
    {
        public int Remaining { get; set; } = count;
        public string? Path { get; } = path;
        public int? Status { get; } = status;
        public TimeSpan Delay { get; } = delay;
        public byte[]? Body { get; } = body;
    }
}
