using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.MobileSim.DemoGeo;
using NetTopologySuite.Geometries;

namespace AlertHub.MobileSim.Scenarios;

internal sealed class HubApiException(string message) : Exception(message);

internal sealed record HubArea(string Id, string Name, string? Kind, Geometry? Geometry);

internal sealed record ImportedResident(int Line, string Id, string Token, string? ExternalId);

internal sealed record ImportRejection(int Line, string Code, string? Detail);

internal sealed record ImportResult(int Accepted, int Rejected, IReadOnlyList<ImportedResident> Residents, IReadOnlyList<ImportRejection> Rejections);

internal sealed record IssuedAlert(string Id, int Version, int? Recipients, IReadOnlyDictionary<string, int>? ByChannel)
{
    public double? TargetingMs { get; init; }
    public double? OutboxWriteMs { get; init; }
}

/// <summary>Where the hub spent its time on one alert (from the issue response and GET /api/alerts/{id}).</summary>
/// <param name="QueuedInFullMs">From the version's issue to its last recipient queued (a large fan-out is queued in parts after the answer).</param>
internal sealed record HubTimings(double? TargetingMs, double? OutboxWriteMs, double ClaimMs, double RenderMs, double ProviderMs, double RecordMs, int Batches,
    double? QueuedInFullMs = null);

/// <summary>The few hub endpoints the sim calls, written to the API contract (X-Api-Key staff auth).</summary>
internal sealed class HubApiClient : IDisposable
{
    private readonly HttpClient _http;

    public HubApiClient(Uri hub, string apiKey, HttpMessageHandler? handler)
    {
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = hub;
        // A 50,000-line import is ~15 MB and the hub indexes it before answering.
        _http.Timeout = TimeSpan.FromMinutes(2);
        _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    }

    /// <summary>
    /// A cluster: waits until every live node's targeting index has applied every resident change (<c>indexLag</c> 0 in
    /// <c>GET /api/cluster</c>), so an alert issued on any node targets residents registered on any other. Returns how long that took.
    /// </summary>
    public async Task<TimeSpan> WaitForIndexesInStepAsync(TimeProvider time, TimeSpan patience, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < patience)
        {
            using var response = await _http.GetAsync(new Uri("api/cluster", UriKind.Relative), cancellationToken);
            var body = await EnsureSuccessAsync(response, "GET /api/cluster", cancellationToken);
            using var doc = JsonDocument.Parse(body);
            var live = doc.RootElement.GetProperty("nodes").EnumerateArray()
                .Where(n => n.GetProperty("state").GetString() == "live").ToList();
            if (live.All(n => n.TryGetProperty("indexLag", out var lag) && lag.ValueKind == JsonValueKind.Number && lag.GetInt64() == 0))
            {
                return time.GetElapsedTime(started);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }

        throw new HubApiException($"the nodes' targeting indexes were not in step with the store within {patience.TotalSeconds:0} s (GET /api/cluster, indexLag)");
    }

    public async Task<IReadOnlyList<HubArea>> GetAreasAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("api/areas", UriKind.Relative), cancellationToken);
        var body = await EnsureSuccessAsync(response, "GET /api/areas", cancellationToken);
        using var doc = JsonDocument.Parse(body);
        var areas = new List<HubArea>();
        foreach (var a in doc.RootElement.EnumerateArray())
        {
            Geometry? geometry = null;
            if (a.TryGetProperty("geometry", out var g) && g.ValueKind == JsonValueKind.Object)
            {
                geometry = SimGeoJson.ReadGeometry(g);
            }

            areas.Add(new HubArea(
                ReadString(a, "id") ?? "",
                ReadString(a, "name") ?? "",
                ReadString(a, "kind"),
                geometry));
        }

        return areas;
    }

    public async Task<ImportResult> ImportAsync(byte[] ndjson, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(ndjson);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var response = await _http.PostAsync(new Uri("api/residents/import", UriKind.Relative), content, cancellationToken);
        var body = await EnsureSuccessAsync(response, "POST /api/residents/import", cancellationToken);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var residents = new List<ImportedResident>();
        if (root.TryGetProperty("residents", out var rs))
        {
            foreach (var r in rs.EnumerateArray())
            {
                residents.Add(new ImportedResident(
                    r.GetProperty("line").GetInt32(),
                    ReadString(r, "id") ?? "",
                    ReadString(r, "token") ?? "",
                    ReadString(r, "externalId")));
            }
        }

        var rejections = new List<ImportRejection>();
        if (root.TryGetProperty("rejections", out var rj))
        {
            foreach (var r in rj.EnumerateArray())
            {
                rejections.Add(new ImportRejection(
                    r.TryGetProperty("line", out var l) && l.TryGetInt32(out var line) ? line : 0,
                    ReadString(r, "code") ?? "",
                    ReadString(r, "detail")));
            }
        }

        return new ImportResult(
            root.TryGetProperty("accepted", out var acc) ? acc.GetInt32() : residents.Count,
            root.TryGetProperty("rejected", out var rej) ? rej.GetInt32() : rejections.Count,
            residents,
            rejections);
    }

    public async Task<IssuedAlert> IssueAlertAsync(JsonObject alert, CancellationToken cancellationToken)
    {
        using var content = new StringContent(alert.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri("api/alerts", UriKind.Relative), content, cancellationToken);
        return ReadIssued(await EnsureSuccessAsync(response, "POST /api/alerts", cancellationToken));
    }

    private static IssuedAlert ReadIssued(string body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        Dictionary<string, int>? byChannel = null;
        if (root.TryGetProperty("byChannel", out var bc) && bc.ValueKind == JsonValueKind.Object)
        {
            byChannel = bc.EnumerateObject()
                .Where(p => p.Value.ValueKind == JsonValueKind.Number)
                .ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        }

        var timings = root.TryGetProperty("timings", out var t) && t.ValueKind == JsonValueKind.Object ? t : (JsonElement?)null;
        return new IssuedAlert(
            ReadString(root, "id") ?? throw new HubApiException("The hub answered an alert request without an id."),
            root.TryGetProperty("version", out var v) && v.TryGetInt32(out var version) ? version : 1,
            root.TryGetProperty("recipients", out var rc) && rc.TryGetInt32(out var recipients) ? recipients : null,
            byChannel)
        {
            TargetingMs = timings?.TryGetProperty("targetingMs", out var tm) == true ? tm.GetDouble() : null,
            OutboxWriteMs = timings?.TryGetProperty("outboxWriteMs", out var om) == true ? om.GetDouble() : null,
        };
    }

    /// <summary>POST /api/alerts/{id}/update: a new version with the given changes.</summary>
    public async Task<IssuedAlert> UpdateAlertAsync(string id, JsonObject changes, CancellationToken cancellationToken)
    {
        using var content = new StringContent(changes.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri($"api/alerts/{Uri.EscapeDataString(id)}/update", UriKind.Relative), content, cancellationToken);
        return ReadIssued(await EnsureSuccessAsync(response, "POST /api/alerts/{id}/update", cancellationToken));
    }

    /// <summary>POST /api/alerts/{id}/cancel without a body.</summary>
    public async Task<IssuedAlert> CancelAlertAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync(new Uri($"api/alerts/{Uri.EscapeDataString(id)}/cancel", UriKind.Relative), null, cancellationToken);
        return ReadIssued(await EnsureSuccessAsync(response, "POST /api/alerts/{id}/cancel", cancellationToken));
    }

    /// <summary>The hub's delivery time split for an alert, or null when the hub does not report it.</summary>
    public async Task<HubTimings?> GetTimingsAsync(IssuedAlert alert, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri($"api/alerts/{alert.Id}", UriKind.Relative), cancellationToken);
        var body = await EnsureSuccessAsync(response, "GET /api/alerts/{id}", cancellationToken);
        using var doc = JsonDocument.Parse(body);
        if (!doc.RootElement.TryGetProperty("deliveryTimings", out var d) || d.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        double? queuedInFull = null;
        if (doc.RootElement.TryGetProperty("versions", out var versions) && versions.GetArrayLength() > 0
            && versions[0].TryGetProperty("queuedInFullAt", out var queuedAt) && queuedAt.ValueKind == JsonValueKind.String
            && versions[0].TryGetProperty("issuedAt", out var issuedAt))
        {
            queuedInFull = (queuedAt.GetDateTimeOffset() - issuedAt.GetDateTimeOffset()).TotalMilliseconds;
        }

        return new HubTimings(alert.TargetingMs, alert.OutboxWriteMs, d.GetProperty("claimMs").GetDouble(), d.GetProperty("renderMs").GetDouble(),
            d.GetProperty("providerMs").GetDouble(), d.GetProperty("recordMs").GetDouble(), d.GetProperty("batches").GetInt32(), queuedInFull);
    }

    /// <summary>Registers an area (GeoJSON Feature) and returns it with its new id.</summary>
    public async Task<HubArea> AddAreaAsync(string name, string kind, string? code, Geometry geometry, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "Feature");
            w.WriteStartObject("properties");
            w.WriteString("name", name);
            w.WriteString("kind", kind);
            if (code is not null)
            {
                w.WriteString("code", code);
            }

            w.WriteEndObject();
            w.WritePropertyName("geometry");
            SimGeoJson.WriteGeometry(w, geometry);
            w.WriteEndObject();
        }

        using var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new("application/geo+json");
        using var response = await _http.PostAsync(new Uri("api/areas", UriKind.Relative), content, cancellationToken);
        var body = await EnsureSuccessAsync(response, "POST /api/areas", cancellationToken);
        using var doc = JsonDocument.Parse(body);
        return new HubArea(ReadString(doc.RootElement[0], "id") ?? "", name, kind, geometry);
    }

    public async Task PutRulesAsync(JsonArray rules, CancellationToken cancellationToken)
    {
        using var content = new StringContent(rules.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PutAsync(new Uri("api/rules", UriKind.Relative), content, cancellationToken);
        await EnsureSuccessAsync(response, "PUT /api/rules", cancellationToken);
    }

    /// <summary>Pushes a JMA telegram; returns the alert the rules made of it (or throws if none).</summary>
    public async Task<IssuedAlert> PushJmaAsync(byte[] telegram, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(telegram);
        content.Headers.ContentType = new("application/xml");
        using var response = await _http.PostAsync(new Uri("api/feeds/jma", UriKind.Relative), content, cancellationToken);
        var body = await EnsureSuccessAsync(response, "POST /api/feeds/jma", cancellationToken);
        using var doc = JsonDocument.Parse(body);
        var alertId = ReadString(doc.RootElement, "alertId")
            ?? throw new HubApiException($"The telegram made no alert: {ReadString(doc.RootElement, "outcome")}");
        return await ReadFeedIssuedAsync(alertId, cancellationToken);
    }

    /// <summary>
    /// A rule issued the alert inside the hub, so the feed's answer carries no recipient counts: read them from the
    /// alert (its first version's recipients and the outbox rows per channel, whatever state they are in by now).
    /// </summary>
    private async Task<IssuedAlert> ReadFeedIssuedAsync(string alertId, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri($"api/alerts/{alertId}", UriKind.Relative), cancellationToken);
        var body = await EnsureSuccessAsync(response, "GET /api/alerts/{id}", cancellationToken);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        int? recipients = root.TryGetProperty("versions", out var versions) && versions.ValueKind == JsonValueKind.Array && versions.GetArrayLength() > 0
            && versions[0].TryGetProperty("recipients", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetInt32() : null;
        Dictionary<string, int>? byChannel = null;
        if (root.TryGetProperty("delivery", out var delivery) && delivery.TryGetProperty("byChannel", out var channels) && channels.ValueKind == JsonValueKind.Object)
        {
            byChannel = [];
            foreach (var channel in channels.EnumerateObject())
            {
                long rows = 0;
                foreach (var state in (string[])["queued", "delivered", "failed", "gone", "expired", "superseded"])
                {
                    rows += channel.Value.TryGetProperty(state, out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt64() : 0;
                }

                byChannel[channel.Name] = (int)rows;
            }
        }

        return new IssuedAlert(alertId, 1, recipients, byChannel);
    }

    private static string? ReadString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static async Task<string> EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var snippet = body.Length > 500 ? body[..500] + "…" : body;
            throw new HubApiException($"{what} failed: {(int)response.StatusCode} {response.ReasonPhrase}: {snippet}");
        }

        return body;
    }

    public void Dispose() => _http.Dispose();
}
