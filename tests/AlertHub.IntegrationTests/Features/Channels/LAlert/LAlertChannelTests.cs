using System.Net;
using System.Net.Http.Json;
using AlertHub.Core.Feeds;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.LAlert;

namespace AlertHub.IntegrationTests.Features.Channels.LAlert;

/// <summary>The lalert channel against the fake Lアラート on 127.0.0.1, two nodes, every document read back by the hub's parser.</summary>
public sealed class LAlertChannelTests : IAsyncLifetime
{
    private FakeLAlert _lalert = null!;
    private HubFactory _hub = null!;

    public async Task InitializeAsync()
    {
        _lalert = new FakeLAlert();
        await _lalert.StartAsync();
        var (user, password) = _lalert.Options.Users.First();
        _hub = new HubFactory(settings: new()
        {
            ["Channels:LAlert:Enabled"] = "true",
            ["Channels:LAlert:SenderId"] = "bousai.city.yokote.test",
            ["Channels:LAlert:OfficePhone"] = "0182-32-2111",
            ["Channels:LAlert:RetryDelay"] = "00:00:00.200",
            ["Channels:LAlert:ShelterCheckInterval"] = "00:00:01",
            ["Channels:LAlert:Nodes:0:Name"] = "primary",
            ["Channels:LAlert:Nodes:0:Url"] = _lalert.NodeUrl("primary"),
            ["Channels:LAlert:Nodes:0:Username"] = user,
            ["Channels:LAlert:Nodes:0:Password"] = password,
            ["Channels:LAlert:Nodes:1:Name"] = "backup",
            ["Channels:LAlert:Nodes:1:Url"] = _lalert.NodeUrl("backup"),
            ["Channels:LAlert:Nodes:1:Username"] = user,
            ["Channels:LAlert:Nodes:1:Password"] = password,
        });
        await _hub.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        _hub.Dispose();
        await _lalert.DisposeAsync();
    }

    private static object Evacuation(string sort, string[] areaIds, string status = "Actual") => new
    {
        status,
        @event = sort,
        severity = "Severe",
        urgency = "Immediate",
        certainty = "Likely",
        area = new { areaIds },
        texts = new Dictionary<string, object> { ["ja"] = new { headline = $"{sort}を発令しました", body = "横手川の水位が上がっています。", instruction = "避難してください。" } },
    };

    private async Task<string[]> DistrictsAsync(HttpClient admin)
    {
        var a = await Api.AddAreaAsync(admin, "前郷地区", Api.Square(39.30, 140.55, 0.01), kind: "district");
        var b = await Api.AddAreaAsync(admin, "睦成地区", Api.Square(39.33, 140.58, 0.01), kind: "district");
        var c = await Api.AddAreaAsync(admin, "横手市中央町", Api.Square(39.31, 140.56, 0.005), kind: "district", code: "052030012000");
        return [a, b, c];
    }

    private async Task<List<LAlertReceived>> WaitForAsync(Func<List<LAlertReceived>, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            var received = _lalert.Received.ToList();
            if (done(received))
            {
                return received;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"Lアラート did not receive what was expected: {string.Join("; ", _lalert.Received.Select(r => $"{r.Node} {r.Category} r{r.Revision} {r.DistributionType}"))}; refusals: {string.Join("; ", _lalert.Refusals)}");
        return [];
    }

    [Fact]
    public async Task AlertUpdateCancel_PublishesRevisionsOfOneDocumentToBothNodes()
    {
        using var admin = _hub.Admin();
        var (a, b, c) = await DistrictsAsync(admin) is var ids ? (ids[0], ids[1], ids[2]) : default;

        var issued = await Api.IssueAsync(admin, Evacuation("避難指示", [a, b]));
        var id = issued["id"]!.GetValue<string>();
        Assert.Equal(2, issued["byChannel"]!["lalert"]!.GetValue<int>());
        var first = (await WaitForAsync(r => r.Count(x => x.Category == "EvacuationOrder") == 2)).Single(r => r.Node == "primary");
        Assert.Equal((1, "Report", "Actual"), (first.Revision, first.DistributionType, first.Status));
        var e1 = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(first.Xml));
        Assert.Equal((first.DocumentId, "000001", EventLifecycle.New, Operational.Real), (e1.SeriesKey, e1.Revision, e1.Lifecycle, e1.Operational));
        Assert.Equal(["前郷地区", "睦成地区"], e1.Areas.Where(x => x.Scheme == "name").Select(x => x.Code).Order(StringComparer.Ordinal));
        Assert.All(e1.Areas.Where(x => x.Scheme == "name"), x => Assert.Equal(("発令", 4, "05203"), (x.Status, x.AlertLevel, x.Municipality)));
        await Api.WaitForDeliveryAsync(admin, id, v => v["delivery"]!["byChannel"]!["lalert"]!["delivered"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(10));

        // The order widens to the town and is raised to 緊急安全確保; 睦成 is no longer ordered: the full state says so.
        var update = await admin.PostAsJsonAsync($"/api/alerts/{id}/update", new { @event = "緊急安全確保", area = new { areaIds = new[] { a, c } } });
        Assert.True(update.IsSuccessStatusCode, await update.Content.ReadAsStringAsync());
        var second = (await WaitForAsync(r => r.Count(x => x.Category == "EvacuationOrder") == 4)).Where(r => r.Node == "primary").OrderBy(r => r.Revision).Last();
        Assert.Equal((first.DocumentId, 2, "Update"), (second.DocumentId, second.Revision, second.DistributionType));
        var e2 = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(second.Xml));
        Assert.Equal((EventLifecycle.Update, EventSeverity.Extreme, 5), (e2.Lifecycle, e2.Severity, e2.AlertLevel));
        Assert.Equal(("発令", 5), e2.Areas.Where(x => x.Code == "前郷地区").Select(x => (x.Status, x.AlertLevel)).Single());
        Assert.Equal(("発令", 5), e2.Areas.Where(x => x.Scheme == "town" && x.Code == "052030012000").Select(x => (x.Status, x.AlertLevel)).Single());
        Assert.Equal("解除", e2.Areas.Single(x => x.Code == "睦成地区").Status);
        await Api.WaitForDeliveryAsync(admin, id, v => v["delivery"]!["byChannel"]!["lalert"]!["delivered"]!.GetValue<long>() == 4, TimeSpan.FromSeconds(10));

        // It was wrong from the start: the document — its only order — is withdrawn.
        (await admin.PostAsync($"/api/alerts/{id}/cancel", null)).EnsureSuccessStatusCode();
        var third = (await WaitForAsync(r => r.Count(x => x.Category == "EvacuationOrder") == 6)).Where(r => r.Node == "backup").OrderBy(r => r.Revision).Last();
        Assert.Equal((first.DocumentId, 3, "Cancel"), (third.DocumentId, third.Revision, third.DistributionType));
        var e3 = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(third.Xml));
        Assert.Equal(EventLifecycle.Cancel, e3.Lifecycle);
        Assert.Contains("Errata", third.Xml, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], _lalert.Received.Where(r => r.Node == "backup" && r.DocumentId == first.DocumentId).Select(r => r.Revision));
        Assert.Empty(_lalert.Refusals);

        // Staff see each revision and each node's answer.
        var publications = await (await admin.GetAsync("/api/lalert/publications")).JsonAsync();
        var latest = publications.AsArray()[0]!;
        Assert.Equal((3, "Cancel", id), (latest["revision"]!.GetValue<int>(), latest["distributionType"]!.GetValue<string>(), latest["alertId"]!.GetValue<string>()));
        Assert.All(latest["sends"]!.AsArray(), s => Assert.Equal(("acknowledged", 0), (s!["state"]!.GetValue<string>(), s["code"]!.GetValue<int>())));
        var xml = await admin.GetAsync($"/api/lalert/publications/{latest["seq"]!.GetValue<long>()}.xml");
        Assert.Equal("text/plain", xml.Content.Headers.ContentType?.MediaType);
        Assert.Contains(first.DocumentId, await xml.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var kpi = await (await admin.GetAsync("/api/kpi/push-channels")).JsonAsync();
        Assert.Contains(kpi["channels"]!.AsArray(), ch => ch!["name"]!.GetValue<string>() == "lalert" && ch["deliveredInWindow"]!.GetValue<bool>() && ch["healthy"]!.GetValue<bool>());
    }

    [Fact]
    public async Task TwoOrders_OneCancelled_TheOtherRemainsWithAnErrata()
    {
        using var admin = _hub.Admin();
        var ids = await DistrictsAsync(admin);
        var keep = (await Api.IssueAsync(admin, Evacuation("高齢者等避難", [ids[0]])))["id"]!.GetValue<string>();
        var wrong = (await Api.IssueAsync(admin, Evacuation("避難指示", [ids[1]])))["id"]!.GetValue<string>();
        await WaitForAsync(r => r.Count(x => x.Node == "primary" && x.Category == "EvacuationOrder") == 2);

        (await admin.PostAsync($"/api/alerts/{wrong}/cancel", null)).EnsureSuccessStatusCode();

        var last = (await WaitForAsync(r => r.Count(x => x.Node == "primary" && x.Category == "EvacuationOrder") == 3)).Where(r => r.Node == "primary").Last();
        Assert.Equal((3, "Update"), (last.Revision, last.DistributionType));
        var e = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(last.Xml));
        Assert.Equal(EventLifecycle.Correction, e.Lifecycle);
        Assert.Equal(("前郷地区", "発令", 3), e.Areas.Where(x => x.Scheme == "name").Select(x => (x.Code, x.Status, x.AlertLevel)).Single());
        Assert.NotNull(keep);
    }

    [Fact]
    public async Task Drill_IsPublishedAsExerciseInItsOwnDocument_NeverAsActual()
    {
        using var admin = _hub.Admin();
        var ids = await DistrictsAsync(admin);
        await Api.IssueAsync(admin, Evacuation("避難指示", [ids[0]], status: "Exercise"));
        await Api.IssueAsync(admin, Api.ExerciseAlert(new { areaIds = new[] { ids[1] } }));

        var received = await WaitForAsync(r => r.Count(x => x.Node == "primary") == 2);
        Assert.All(received, r => Assert.Equal("Exercise", r.Status));
        var evacuation = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(received.First(r => r.Category == "EvacuationOrder").Xml));
        Assert.Equal(Operational.Exercise, evacuation.Operational);
        Assert.StartsWith("【訓練】", evacuation.MainText.Headline, StringComparison.Ordinal);
        var notice = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(received.First(r => r.Category == "GeneralInformation").Xml));
        Assert.Equal((Operational.Exercise, "LALERT:GeneralInformation"), (notice.Operational, notice.Family));
        Assert.Contains("【訓練】横手川 氾濫危険", notice.MainText.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shelters_OpenedFilledAndClosed_PublishShelterRevisions()
    {
        using var admin = _hub.Admin();
        (await admin.PostAsJsonAsync("/api/shelters", new { id = "gym", name = "横手体育館", location = new { lat = 39.31, lon = 140.55 }, status = "open", capacity = 200, occupancy = 12 }))
            .EnsureSuccessStatusCode();
        var opened = (await WaitForAsync(r => r.Any(x => x.Node == "primary" && x.Category == "Shelter"))).First(r => r.Category == "Shelter");
        var e1 = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(opened.Xml));
        Assert.Equal((1, EventLifecycle.New), (opened.Revision, e1.Lifecycle));
        var gym = Assert.Single(e1.Areas, x => x.Name == "横手体育館");
        Assert.Equal("開設", gym.Status);
        Assert.Equal(["避難所", "空き", "定員200", "避難者数12"], gym.Kinds);

        (await admin.PutAsJsonAsync("/api/shelters/gym", new { status = "crowded", occupancy = 170 })).EnsureSuccessStatusCode();
        var crowded = (await WaitForAsync(r => r.Count(x => x.Node == "primary" && x.Category == "Shelter") == 2)).Last(r => r.Node == "primary" && r.Category == "Shelter");
        Assert.Equal(["避難所", "混雑", "定員200", "避難者数170"], FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(crowded.Xml)).Areas.Single(x => x.Name == "横手体育館").Kinds);

        (await admin.PutAsJsonAsync("/api/shelters/gym", new { status = "closed", occupancy = 0 })).EnsureSuccessStatusCode();
        var closed = (await WaitForAsync(r => r.Count(x => x.Node == "primary" && x.Category == "Shelter") == 3)).Last(r => r.Node == "primary" && r.Category == "Shelter");
        var e3 = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(closed.Xml));
        Assert.Equal((opened.DocumentId, 3, EventLifecycle.AllClear), (closed.DocumentId, closed.Revision, e3.Lifecycle));

        // Open again: a new document, not a fourth revision of the closed one.
        (await admin.PutAsJsonAsync("/api/shelters/gym", new { status = "open" })).EnsureSuccessStatusCode();
        var reopened = (await WaitForAsync(r => r.Count(x => x.Node == "primary" && x.Category == "Shelter") == 4)).Last(r => r.Node == "primary" && r.Category == "Shelter");
        Assert.Equal((1, "Report"), (reopened.Revision, reopened.DistributionType));
        Assert.NotEqual(opened.DocumentId, reopened.DocumentId);
    }

    [Fact]
    public async Task NodeFailing_TheSameBytesAreSentAgain_NoRevisionIsMadeOrSkipped()
    {
        using var admin = _hub.Admin();
        var ids = await DistrictsAsync(admin);
        _lalert.FailNext(3);

        var id = (await Api.IssueAsync(admin, Evacuation("避難指示", [ids[0]])))["id"]!.GetValue<string>();

        var received = await WaitForAsync(r => r.Count(x => x.Category == "EvacuationOrder") == 2);
        Assert.Equal(3, _lalert.Refusals.Count(r => r.Code == "901"));
        Assert.Single(received.Select(r => r.DistributionId).Distinct());
        Assert.All(received, r => Assert.Equal(1, r.Revision));
        await Api.WaitForDeliveryAsync(admin, id, v => v["delivery"]!["byChannel"]!["lalert"]!["delivered"]!.GetValue<long>() == 2, TimeSpan.FromSeconds(10));
        var publication = (await (await admin.GetAsync("/api/lalert/publications")).JsonAsync()).AsArray().Single(p => p!["alertId"]?.GetValue<string>() == id)!;
        Assert.Equal(5, publication["sends"]!.AsArray().Sum(s => s!["attempts"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/lalert/publications?limit=5")).StatusCode);
    }

    [Fact]
    public async Task ResidentEndpoint_OnLAlert_IsRefused()
    {
        using var client = _hub.CreateClient();
        var response = await client.PostAsJsonAsync("/api/residents", new { endpoints = new[] { new { channel = "lalert", address = "x" } } });
        await response.AssertProblemAsync(400, "residents.channel_unknown");
    }
}
