using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features;

/// <summary>One hub with the resources the JSON endpoints need (an alert, a resident, a shelter, a staff user).</summary>
public sealed class HostileJsonFixture : IAsyncLifetime
{
    // The fuzz makes hundreds of failed sign-ins from one test client; the per-client lock is tested elsewhere.
    public HubFactory Hub { get; } = new(settings: new() { ["Staff:MaxFailuresPerClient"] = "0" });

    public HttpClient Admin { get; private set; } = null!;

    public Registered Resident { get; private set; } = null!;

    public string AlertId { get; private set; } = "";

    public string ShelterId { get; private set; } = "";

    public string StaffUser { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Hub.WaitReadyAsync();
        Admin = Hub.Admin();
        Resident = await Api.RegisterAsync(Admin, 39.31, 140.55);
        AlertId = (await Api.IssueAsync(Admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.31, lon = 140.55, radiusMeters = 500 } } })))["id"]!
            .GetValue<string>();
        var shelter = await Admin.PostAsJsonAsync("/api/shelters", new { name = "横手南小学校", location = new { lat = 39.3, lon = 140.56 } });
        Assert.True(shelter.IsSuccessStatusCode, await shelter.Content.ReadAsStringAsync());
        ShelterId = (await shelter.JsonAsync())["id"]!.GetValue<string>();
        StaffUser = await Hub.CreateStaffUserAsync(["viewer"]);
    }

    /// <summary>A fresh draft (a rejected draft cannot be rejected again).</summary>
    public async Task<string> NewDraftAsync()
    {
        var draft = await Admin.PostAsJsonAsync("/api/alert-drafts", Api.ExerciseAlert(new { circles = new[] { new { lat = 39.31, lon = 140.55, radiusMeters = 500 } } }));
        Assert.True(draft.IsSuccessStatusCode, await draft.Content.ReadAsStringAsync());
        return (await draft.JsonAsync())["id"]!.GetValue<string>();
    }

    public Task DisposeAsync()
    {
        Admin.Dispose();
        Hub.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Every JSON endpoint that takes a body, with a valid template whose placeholders the hostile cases replace:
/// <c>$TEXT</c> a string, <c>$LAT</c> a latitude, <c>$IDS</c> a list of area ids, <c>$UNIQUE</c> a fresh name.
/// </summary>
public sealed class HostileJsonTests(HostileJsonFixture fixture) : IClassFixture<HostileJsonFixture>
{
    private const string Circle = """{"areaIds":$IDS,"circles":[{"lat":$LAT,"lon":140.55,"radiusMeters":500}]}""";
    private const string AlertBody = """
        {"status":"Exercise","msgType":"Alert","event":$TEXT,"severity":"Severe","urgency":"Immediate","certainty":"Likely",
         "area":AREA,"texts":{"ja":{"headline":$TEXT,"body":"本文"}}}
        """;

    /// <param name="CoordinateCode">What a non-finite <c>$LAT</c> must answer (400 with this code); null: any 4xx with a code, or a 2xx
    /// that reports the item rejected (bulk imports).</param>
    internal sealed record Target(string Name, string Method, string Path, string Template, int Baseline, string? CoordinateCode = null, bool AsResident = false);

    internal static readonly Target[] Targets =
    [
        new("alerts", "POST", "/api/alerts", AlertBody.Replace("AREA", Circle), 202, "targeting.circle_invalid"),
        new("alert-update", "POST", "/api/alerts/{alert}/update", """{"texts":{"ja":{"headline":$TEXT,"body":"b"}},"area":AREA}""".Replace("AREA", Circle), 202,
            "targeting.circle_invalid"),
        new("alert-drafts", "POST", "/api/alert-drafts", AlertBody.Replace("AREA", Circle), 201, "targeting.circle_invalid"),
        new("draft-reject", "POST", "/api/alert-drafts/{draft}/reject", """{"reason":$TEXT}""", 204),
        new("alert-ack", "POST", "/api/alerts/{alert}/ack", """{"residentId":"{resident}","via":$TEXT}""", 200, AsResident: true),
        new("preview", "POST", "/api/targeting/preview", """{"area":AREA,"audience":{"tags":{"any":[$TEXT]}}}""".Replace("AREA", Circle), 200,
            "targeting.circle_invalid"),
        new("residents", "POST", "/api/residents",
            """{"attributes":{"language":"ja","tags":[$TEXT]},"places":[{"label":$TEXT,"lat":$LAT,"lon":140.55}],"endpoints":[{"channel":"signalr"}]}""", 201,
            "residents.place_invalid"),
        new("resident-put", "PUT", "/api/residents/{resident}",
            """{"attributes":{"language":"ja","tags":[$TEXT]},"places":[{"label":$TEXT,"lat":$LAT,"lon":140.55}],"endpoints":[{"channel":"signalr"}]}""", 204,
            "residents.place_invalid", AsResident: true),
        new("resident-location", "POST", "/api/residents/{resident}/location", """{"lat":$LAT,"lon":140.55}""", 200, "residents.location_invalid", AsResident: true),
        new("safety", "POST", "/api/residents/{resident}/safety", """{"status":"safe","note":$TEXT,"location":{"lat":$LAT,"lon":140.55}}""", 201, "safety.invalid",
            AsResident: true),
        new("shelters", "POST", "/api/shelters", """{"name":$TEXT,"location":{"lat":$LAT,"lon":140.55}}""", 201, "shelters.invalid"),
        new("shelter-put", "PUT", "/api/shelters/{shelter}", """{"name":$TEXT,"location":{"lat":$LAT,"lon":140.55}}""", 200, "shelters.invalid"),
        new("shelter-import", "POST", "/api/shelters/import",
            """{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"imp-1","name":$TEXT},"geometry":{"type":"Point","coordinates":[140.55,$LAT]}}]}""",
            200),
        new("areas", "POST", "/api/areas",
            """{"type":"Feature","properties":{"name":$TEXT,"kind":"flood"},"geometry":{"type":"Polygon","coordinates":[[[140.5,$LAT],[140.6,39.3],[140.6,39.4],[140.5,$LAT]]]}}""",
            201),
        new("rules", "PUT", "/api/rules", """[{"name":$TEXT,"families":["JMA:VXSE53"],"templates":{"ja":{"headline":"h","body":"b"}}}]""", 200),
        new("keys", "POST", "/api/keys", """{"name":$TEXT,"role":"viewer"}""", 201),
        new("staff-session", "POST", "/api/staff/session", """{"username":$UNIQUE,"password":$TEXT}""", 401),
        new("staff-users", "POST", "/api/staff/users", """{"username":$UNIQUE,"displayName":$TEXT,"roles":["viewer"],"password":"a long enough passphrase"}""", 201),
        new("staff-user-put", "PUT", "/api/staff/users/{staff}", """{"displayName":$TEXT}""", 200),
        new("cameras", "POST", "/api/cameras", """{"name":$TEXT,"kind":"jpeg-poll","location":{"lat":$LAT,"lon":140.56},"snapshotIntervalSeconds":60}""", 201,
            "cameras.location_invalid"),
    ];

    private static readonly Dictionary<string, string> Defaults = new() { ["$TEXT"] = "\"ok\"", ["$LAT"] = "39.31", ["$IDS"] = "[]" };

    /// <summary>A placeholder, what replaces it (raw JSON bytes) and the code expected; "coordinate" means the target's coordinate code.</summary>
    internal sealed record Hostile(string Name, string Placeholder, byte[] Value, string Code);

    private static Hostile Text(string name, string json) => new(name, "$TEXT", Encoding.UTF8.GetBytes(json), "request.invalid_text");

    private static Hostile Lat(string name, string json, string code = "coordinate") => new(name, "$LAT", Encoding.UTF8.GetBytes(json), code);

    internal static readonly Hostile[] Cases =
    [
        Text("lone high surrogate", "\"a\\ud800b\""),
        Text("lone high surrogate at the end", "\"\\uD800\""),
        Text("lone low surrogate", "\"\\udc00\""),
        Text("surrogates reversed", "\"\\udc00\\ud800\""),
        Text("high surrogate then a plain escape", "\"\\ud800\\u0041\""),
        new("surrogate encoded in UTF-8", "$TEXT", [(byte)'"', 0xED, 0xA0, 0x80, (byte)'"'], "request.invalid_text"),
        new("invalid UTF-8 byte", "$TEXT", [(byte)'"', (byte)'a', 0xFF, (byte)'"'], "request.invalid_text"),
        new("overlong UTF-8", "$TEXT", [(byte)'"', 0xC0, 0xAF, (byte)'"'], "request.invalid_text"),
        Lat("NaN as a string", "\"NaN\""),
        Lat("Infinity as a string", "\"Infinity\""),
        Lat("-Infinity as a string", "\"-Infinity\""),
        Lat("a number too large for a double", "1e400"),
        Lat("NaN as a bare literal", "NaN", "request.malformed_json"),
        Lat("Infinity as a bare literal", "Infinity", "request.malformed_json"),
        new("null in areaIds", "$IDS", "[null]"u8.ToArray(), "targeting.area_reference_invalid"),
        new("blank area id", "$IDS", "[\"  \"]"u8.ToArray(), "targeting.area_reference_invalid"),
    ];

    public static IEnumerable<object[]> TargetNames() => Targets.Select(t => new object[] { t.Name });

    public static IEnumerable<object[]> HostileCases() =>
        from t in Targets
        from c in Cases
        where t.Template.Contains(c.Placeholder, StringComparison.Ordinal)
        select new object[] { t.Name, c.Name };

    [Theory]
    [MemberData(nameof(TargetNames))]
    public async Task Template_WithDefaults_IsAccepted(string target)
    {
        var t = Targets.Single(x => x.Name == target);
        var response = await SendAsync(t, Body(t, null));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == t.Baseline, $"{t.Name}: expected {t.Baseline}, got {(int)response.StatusCode}: {body}");
    }

    [Theory]
    [MemberData(nameof(HostileCases))]
    public async Task HostileValue_Returns400WithStableCode_Never500(string target, string hostile)
    {
        var t = Targets.Single(x => x.Name == target);
        var c = Cases.Single(x => x.Name == hostile);
        var response = await SendAsync(t, Body(t, c));
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status < 500, $"{t.Name} / {c.Name}: {status} {text}");
        var code = c.Code == "coordinate" ? t.CoordinateCode : c.Code;
        if (code is null)
        {
            // Bulk imports take the rest and report the bad item instead of failing the request.
            Assert.True(status is 200 or 400, $"{t.Name} / {c.Name}: {status} {text}");
            var json = JsonNode.Parse(text)!;
            Assert.True(status == 400 ? json["code"] is not null : json["rejected"]!.AsArray().Count == 1, $"{t.Name} / {c.Name}: {text}");
            return;
        }

        await response.AssertProblemAsync(400, code);
    }

    /// <summary>Hostile JSON at every position of every template: the hub may refuse anything, but never with a 5xx.</summary>
    [Theory]
    [MemberData(nameof(TargetNames))]
    public async Task Fuzz_HostileJsonAnywhere_NeverAnswers5xx(string target)
    {
        var t = Targets.Single(x => x.Name == target);
        var template = Encoding.UTF8.GetString(Body(t, null));
        var failures = new List<string>();
        foreach (var body in FuzzBodies(template))
        {
            var response = await SendAsync(t, body);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            if (status >= 500)
            {
                failures.Add($"{status} for {Encoding.UTF8.GetString(body)[..Math.Min(body.Length, 300)]}: {text[..Math.Min(text.Length, 300)]}");
            }
            else if (status >= 400 && (!text.Contains("\"code\"", StringComparison.Ordinal)
                || response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
            {
                failures.Add($"{status} without a ProblemDetails code for {Encoding.UTF8.GetString(body)[..Math.Min(body.Length, 300)]}: {text}");
            }
        }

        Assert.True(failures.Count == 0, $"{t.Name}: {failures.Count} failures:\n{string.Join("\n", failures.Take(30))}");
    }

    [Fact]
    public async Task ChunkedBody_OverTheLimit_Returns413WithCode()
    {
        // The test server's own client: the factory's default one buffers request bodies (to follow redirects), which gives them a length.
        using var client = fixture.Hub.Server.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", HubFactory.AdminKey);
        // Content of unknown length goes out chunked: no Content-Length for the limit middleware to look at first.
        var body = new UnknownLengthContent(Encoding.UTF8.GetBytes("{\"area\":{\"codes\":[\"" + new string('a', 2 * 1024 * 1024) + "\"]}}"));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await client.PostAsync("/api/targeting/preview", body);
        var problem = await response.AssertProblemAsync(413, "request.too_large");
        // Said by the reader that counts a chunked body, not by the Content-Length check before it.
        Assert.Contains("exceeds", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongContentType_Returns415WithCode()
    {
        using var client = fixture.Hub.Admin();
        var response = await client.PostAsync("/api/targeting/preview", new StringContent("{}", Encoding.UTF8, "text/plain"));
        await response.AssertProblemAsync(415, "request.unsupported_media_type");
    }

    [Fact]
    public async Task WrongMethod_Returns405WithCode()
    {
        using var client = fixture.Hub.Admin();
        var response = await client.DeleteAsync("/api/targeting/preview");
        await response.AssertProblemAsync(405, "request.method_not_allowed");
    }

    [Fact]
    public async Task LoneSurrogate_InAGeoJsonUploadWithoutAJsonContentType_Returns400InvalidText()
    {
        using var client = fixture.Hub.Admin();
        var geojson = """{"type":"Feature","properties":{"name":"\ud800","kind":"flood"},"geometry":{"type":"Polygon","coordinates":[[[140.5,39.3],[140.6,39.3],[140.6,39.4],[140.5,39.3]]]}}""";
        var response = await client.PostAsync("/api/areas", new StringContent(geojson, Encoding.UTF8, "application/x-www-form-urlencoded"));
        await response.AssertProblemAsync(400, "request.invalid_text");
    }

    private sealed class UnknownLengthContent(byte[] data) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(data).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static readonly string[] FuzzValues =
    [
        "null", "\"\\ud800\"", "\"x\\udfff\"", "\"NaN\"", "\"-Infinity\"", "1e400", "-1e400", "123456789012345678901234567890", "-0", "true", "\"\"",
        "\"x\"", "[]", "{}", "[null]", "[[null]]", "{\"\\ud800\":1}", new string('[', 100) + new string(']', 100), "\"" + new string('あ', 5000) + "\"",
        "\"9999-99-99T99:99:99Z\"", "-1", "2147483648",
    ];

    private static IEnumerable<byte[]> FuzzBodies(string template)
    {
        foreach (var whole in new[] { "", "null", "[]", "[null]", "{}", "\"\\ud800\"", "0", "{\"a\":", new string('[', 10_000) + new string(']', 10_000),
            new string('{', 1) + string.Concat(Enumerable.Repeat("\"a\":{", 200)) + new string('}', 201) })
        {
            yield return Encoding.UTF8.GetBytes(whole);
        }

        var root = JsonNode.Parse(template)!;
        const string Marker = "\"HOSTILE-MARKER-7f3a\"";
        foreach (var path in Leaves(root, "").Skip(1))
        {
            foreach (var value in FuzzValues)
            {
                var copy = JsonNode.Parse(template)!;
                Replace(copy, path, JsonValue.Create("HOSTILE-MARKER-7f3a"));
                var text = copy.ToJsonString();
                Assert.Contains(Marker, text, StringComparison.Ordinal);
                yield return Encoding.UTF8.GetBytes(text.Replace(Marker, value, StringComparison.Ordinal));
            }
        }
    }

    private static IEnumerable<string> Leaves(JsonNode? node, string path)
    {
        yield return path;
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    foreach (var p in Leaves(child, path + "/" + key))
                    {
                        yield return p;
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var p in Leaves(a[i], path + "/" + i))
                    {
                        yield return p;
                    }
                }

                break;
        }
    }

    private static void Replace(JsonNode root, string path, JsonNode value)
    {
        if (path.Length == 0)
        {
            return;
        }

        var parts = path.Split('/')[1..];
        var parent = root;
        foreach (var part in parts[..^1])
        {
            parent = parent is JsonArray a ? a[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)]! : parent[part]!;
        }

        if (parent is JsonArray array)
        {
            array[int.Parse(parts[^1], System.Globalization.CultureInfo.InvariantCulture)] = value;
        }
        else
        {
            parent[parts[^1]] = value;
        }
    }

    private static byte[] Body(Target t, Hostile? hostile)
    {
        var template = Encoding.UTF8.GetBytes(t.Template.Replace("$UNIQUE", $"\"u-{Guid.NewGuid():N}\""[..18] + "\"", StringComparison.Ordinal));
        var result = template.AsSpan().ToArray();
        foreach (var (placeholder, fallback) in Defaults)
        {
            var value = hostile?.Placeholder == placeholder ? hostile.Value : Encoding.UTF8.GetBytes(fallback);
            result = ReplaceBytes(result, Encoding.UTF8.GetBytes(placeholder), value);
        }

        return result;
    }

    private static byte[] ReplaceBytes(byte[] source, byte[] find, byte[] with)
    {
        var output = new List<byte>(source.Length);
        for (var i = 0; i < source.Length;)
        {
            if (source.AsSpan(i).StartsWith(find))
            {
                output.AddRange(with);
                i += find.Length;
            }
            else
            {
                output.Add(source[i++]);
            }
        }

        return [.. output];
    }

    private async Task<HttpResponseMessage> SendAsync(Target t, byte[] body)
    {
        var path = t.Path.Replace("{alert}", fixture.AlertId, StringComparison.Ordinal)
            .Replace("{resident}", fixture.Resident.Id.ToString(), StringComparison.Ordinal)
            .Replace("{shelter}", fixture.ShelterId, StringComparison.Ordinal)
            .Replace("{staff}", fixture.StaffUser, StringComparison.Ordinal);
        if (path.Contains("{draft}", StringComparison.Ordinal))
        {
            path = path.Replace("{draft}", await fixture.NewDraftAsync(), StringComparison.Ordinal);
        }

        body = ReplaceBytes(body, "{resident}"u8.ToArray(), Encoding.UTF8.GetBytes(fixture.Resident.Id.ToString()));
        using var request = new HttpRequestMessage(new HttpMethod(t.Method), path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (t.AsResident)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Resident.Token);
        }
        else
        {
            request.Headers.Add("X-Api-Key", HubFactory.AdminKey);
        }

        using var client = fixture.Hub.CreateClient();
        return await client.SendAsync(request);
    }
}
