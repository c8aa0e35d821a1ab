using System.Net;
using System.Security.Cryptography;
using System.Text;
using AlertHub.MobileSim.DemoGeo;
using AlertHub.MobileSim.Peers;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// Offline checks of everything that does not need the hub. Until the test project grows a MobileSim
/// folder this is how the sim's own pieces get exercised (each check is small enough to lift into a test).
/// </summary>
internal static class SelfCheck
{
    public static async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var failures = 0;
        void Check(string name, bool ok, string? detail = null)
        {
            output.WriteLine($"{(ok ? "PASS" : "FAIL")}  {name}{(detail is null ? "" : "  — " + detail)}");
            if (!ok)
            {
                failures++;
            }
        }

        CheckDemoGeo(Check);
        CheckPopulation(Check);
        await CheckWebhookReceiverAsync(Check, cancellationToken);
        CheckReportMaths(Check);
        CheckQuiescence(Check);
        CheckCircle(Check);

        output.WriteLine(failures == 0 ? "self-check: all passed" : $"self-check: {failures} failed");
        return failures == 0 ? 0 : 1;
    }

    private static void CheckDemoGeo(Action<string, bool, string?> check)
    {
        var areas = DemoGeoGenerator.Build();
        check("demo geo: 8 districts, 3–5 flood, 3–4 landslide zones",
            areas.Count(a => a.Kind == "district") == 8
            && areas.Count(a => a.Kind == "flood") is >= 3 and <= 5
            && areas.Count(a => a.Kind == "landslide") is >= 3 and <= 4, null);
        check("demo geo: every geometry valid", areas.All(a => a.Geometry.IsValid), null);

        var districts = areas.Where(a => a.Kind == "district").Select(a => a.Geometry).ToList();
        var sum = districts.Sum(d => d.Area);
        var union = NetTopologySuite.Operation.Union.UnaryUnionOp.Union(districts).Area;
        check("demo geo: districts tile the outline without overlap", Math.Abs(sum - union) < 1e-9, $"sum {sum:0.000000} union {union:0.000000}");

        var set = DemoAreaSet.FromGenerator();
        check("demo geo: city hall inside, lat 39.42 outside",
            set.CityCovers(DemoGeoFacts.CityHallLat, DemoGeoFacts.CityHallLon) && !set.CityCovers(39.42, 140.5), null);
        var yokote = areas.Single(a => a.Name == "横手（デモ）").Geometry;
        check("demo geo: city hall is in 横手（デモ）",
            yokote.Covers(SimGeoJson.Factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(DemoGeoFacts.CityHallLon, DemoGeoFacts.CityHallLat))), null);

        var env = set.City.EnvelopeInternal;
        check("demo geo: inside Yokote's bbox",
            env.MinX >= DemoGeoFacts.MinLon && env.MaxX <= DemoGeoFacts.MaxLon && env.MinY >= DemoGeoFacts.MinLat && env.MaxY <= DemoGeoFacts.MaxLat,
            env.ToString());

        var text = DemoGeoGenerator.ToGeoJson(areas);
        check("demo geo: output deterministic", text == DemoGeoGenerator.ToGeoJson(DemoGeoGenerator.Build()), $"{text.Length} chars");
        if (DemoAreaSet.FindDefaultFile() is { } committed)
        {
            check("demo geo: committed file is up to date", File.ReadAllText(committed) == text, committed);
        }
    }

    private static void CheckPopulation(Action<string, bool, string?> check)
    {
        var areas = DemoAreaSet.FromGenerator();
        static byte[] Ndjson(IReadOnlyList<SimResident> p)
        {
            using var ms = new MemoryStream();
            ImportNdjson.Write(ms, p, "http://127.0.0.1:0/hook/");
            return ms.ToArray();
        }

        var a = PopulationGenerator.Generate(new PopulationOptions(5000, 42), areas);
        var b = PopulationGenerator.Generate(new PopulationOptions(5000, 42), areas);
        var c = PopulationGenerator.Generate(new PopulationOptions(5000, 43), areas);
        check("population: same seed → identical NDJSON", Ndjson(a).AsSpan().SequenceEqual(Ndjson(b)), null);
        check("population: different seed → different NDJSON", !Ndjson(a).AsSpan().SequenceEqual(Ndjson(c)), null);

        var outside = a.Where(r => r.PlacedOutsideCity).ToList();
        check("population: 1–2 % outside, all their places outside the city",
            outside.Count is >= 50 and <= 100 && outside.All(r => r.Places.All(p => !areas.CityCovers(p.Lat, p.Lon) && p.Lat > 39.41)),
            $"{outside.Count} outside");
        check("population: everyone else has every place inside the city",
            a.Where(r => !r.PlacedOutsideCity).All(r => r.Places.All(p => areas.CityCovers(p.Lat, p.Lon))), null);
        check("population: 1–3 places, home first",
            a.All(r => r.Places.Count is >= 1 and <= 3 && r.Places[0].Label == "home"), null);

        double Share(Func<SimResident, bool> f) => a.Count(f) / (double)a.Count;
        var elderly = Share(r => r.HouseholdTags.Contains("elderly"));
        var children = Share(r => r.HouseholdTags.Contains("children"));
        var ja = Share(r => r.Language == "ja");
        var signalR = Share(r => r.Channel == SimChannels.SignalR);
        check("population: shares near elderly 40 %, children 15 %, ja 93 %, signalr 50 %",
            Math.Abs(elderly - 0.40) < 0.03 && Math.Abs(children - 0.15) < 0.02 && Math.Abs(ja - 0.93) < 0.015 && Math.Abs(signalR - 0.5) < 0.03,
            $"elderly {elderly:P1} children {children:P1} ja {ja:P1} signalr {signalR:P1}");
        check("population: webhook residents have seed-derived secrets, SignalR none",
            a.All(r => r.Channel == SimChannels.Webhook ? r.WebhookSecret == WebhookSecrets.Derive(42, r.ExternalId) : r.WebhookSecret is null)
            && WebhookSecrets.Derive(42, "sim-000001") != WebhookSecrets.Derive(43, "sim-000001"), null);
    }

    private static async Task CheckWebhookReceiverAsync(Action<string, bool, string?> check, CancellationToken cancellationToken)
    {
        var log = new ReceiptLog();
        await using var receiver = new WebhookReceiver(log, TimeProvider.System);
        const string secret = "s3cret-for-sim-000001";
        receiver.AddResident("sim-000001", secret);
        await receiver.StartAsync(cancellationToken);
        check("webhook: bound to 127.0.0.1 with a real port",
            receiver.BaseAddress.StartsWith("http://127.0.0.1:", StringComparison.Ordinal) && !receiver.BaseAddress.Contains(":0/", StringComparison.Ordinal),
            receiver.BaseAddress);

        var body = Encoding.UTF8.GetBytes("""{"deliveryId":"a1:1:r1:webhook","residentId":"r1","alert":{"alertId":"a1","version":1,"headline":"訓練"}}""");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        async Task<HttpStatusCode> PostAsync(string resident, byte[] payload, string? signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, receiver.BaseAddress + resident)
            {
                Content = new ByteArrayContent(payload),
            };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            if (signature is not null)
            {
                request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, signature);
            }

            request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryIdHeader, "a1:1:r1:webhook");
            using var response = await http.SendAsync(request, cancellationToken);
            return response.StatusCode;
        }

        var good = WebhookSignature.Sign(secret, body);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
        check("webhook: signature is base64(HMAC-SHA256(secret, body))", good == expected, null);
        check("webhook: good signature → 200", await PostAsync("sim-000001", body, good) == HttpStatusCode.OK, null);

        var tampered = (byte[])body.Clone();
        tampered[^3] = (byte)'X';
        check("webhook: tampered body → 401", await PostAsync("sim-000001", tampered, good) == HttpStatusCode.Unauthorized, null);
        check("webhook: other secret → 401",
            await PostAsync("sim-000001", body, WebhookSignature.Sign("wrong", body)) == HttpStatusCode.Unauthorized, null);
        check("webhook: missing header → 401", await PostAsync("sim-000001", body, null) == HttpStatusCode.Unauthorized, null);
        check("webhook: garbage header → 401", await PostAsync("sim-000001", body, "not base64!") == HttpStatusCode.Unauthorized, null);
        check("webhook: unknown resident → 404", await PostAsync("sim-999999", body, good) == HttpStatusCode.NotFound, null);

        var receipts = log.Snapshot();
        check("webhook: one receipt, four signature failures",
            receipts.Count == 1 && log.SignatureFailures == 4 && receipts[0] is { AlertId: "a1", Version: 1, ExternalId: "sim-000001", Channel: SimChannels.Webhook },
            $"receipts {receipts.Count}, signature failures {log.SignatureFailures}");
        await receiver.StopAsync(TimeSpan.FromSeconds(5));
    }

    private static void CheckReportMaths(Action<string, bool, string?> check)
    {
        var time = new ManualTime();
        var issue = time.GetTimestamp();
        ResidentExpectation[] residents =
        [
            new("r1", "signalr", true), new("r2", "signalr", true), new("r3", "signalr", false),
            new("w1", "webhook", true), new("w2", "webhook", true), new("w3", "webhook", false, Borderline: true),
        ];
        long At(double ms) => issue + (long)(ms * time.TimestampFrequency / 1000.0);
        Receipt[] receipts =
        [
            new("r1", "signalr", "a", 1, At(10)),
            new("r1", "signalr", "a", 1, At(30)),   // duplicate
            new("r3", "signalr", "a", 1, At(20)),   // outside
            new("w1", "webhook", "a", 1, At(100)),
            new("w3", "webhook", "a", 1, At(200)),  // borderline: neither outside nor missed
            new("w1", "webhook", "a", 2, At(300)),  // a new version is not a duplicate
        ];
        var (channels, overall) = ReportCalculator.Compute(residents, receipts, 4, new Dictionary<string, int> { ["signalr"] = 2, ["webhook"] = 2 }, issue, time);
        var s = channels.Single(c => c.Channel == "signalr");
        var w = channels.Single(c => c.Channel == "webhook");
        check("report: signalr targeted 2, received 2, 1 dup, 1 outside, 1 missed, p50 10 ms, max 20 ms",
            s is { TargetedHub: 2, TargetedSim: 2, Received: 2, Deliveries: 3, Duplicates: 1, OutsideReached: 1, MissedInside: 1, P50Ms: 10, MaxMs: 20 },
            s.ToString());
        check("report: webhook borderline not counted, v2 not a duplicate",
            w is { TargetedSim: 2, Received: 2, Duplicates: 0, OutsideReached: 0, MissedInside: 1, Borderline: 1, P50Ms: 100, P95Ms: 200 },
            w.ToString());
        check("report: overall sums and invariants",
            overall is { TargetedHub: 4, TargetedSim: 4, Received: 4, Duplicates: 1, OutsideReached: 1, MissedInside: 2 }, overall.ToString());
        check("report: nearest-rank percentiles",
            ReportCalculator.Percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50) == 5
            && ReportCalculator.Percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == 10
            && ReportCalculator.Percentile([], 50) is null, null);
    }

    private static void CheckQuiescence(Action<string, bool, string?> check)
    {
        var w = new QuiescenceWaiter(TimeProvider.System, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(60));
        check("wait: keeps waiting while nothing arrived but something is expected",
            w.Decide(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), 0, expectSomething: true) is null, null);
        check("wait: quiet for 3 s after receipts → done",
            w.Decide(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3), 5, expectSomething: true) == false, null);
        check("wait: nothing expected → done after 3 s quiet",
            w.Decide(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3), 0, expectSomething: false) == false, null);
        check("wait: timeout wins",
            w.Decide(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(0.1), 5, expectSomething: true) == true, null);
    }

    private static void CheckCircle(Action<string, bool, string?> check)
    {
        var area = TargetArea.ForCircle(new CircleArea(DemoGeoFacts.CityHallLat, DemoGeoFacts.CityHallLon, 1000), 1.0);
        // 0.009° of latitude ≈ 1000.8 m: outside by less than the 1 m tolerance, so neither in nor out.
        check("circle: centre inside, 2 km away outside, 1000.8 m on the edge",
            area.Locate(DemoGeoFacts.CityHallLat, DemoGeoFacts.CityHallLon) == Placement.Inside
            && area.Locate(DemoGeoFacts.CityHallLat + 0.018, DemoGeoFacts.CityHallLon) == Placement.Outside
            && area.Locate(DemoGeoFacts.CityHallLat + 0.009, DemoGeoFacts.CityHallLon) == Placement.Edge,
            $"{Haversine.DistanceMeters(DemoGeoFacts.CityHallLat, DemoGeoFacts.CityHallLon, DemoGeoFacts.CityHallLat + 0.009, DemoGeoFacts.CityHallLon):0.00} m");
    }

    /// <summary>A clock that only moves when told: report maths must not depend on the wall clock.</summary>
    private sealed class ManualTime : TimeProvider
    {
        public override long TimestampFrequency => 1_000_000;
        public override long GetTimestamp() => 5_000_000;
    }
}
