using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Features.Staff;

public sealed class ApprovalTests : IAsyncLifetime
{
    private static readonly object Here = new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 1000 } } };
    private readonly HubFactory _hub = new();

    public Task InitializeAsync() => _hub.WaitReadyAsync();

    public Task DisposeAsync()
    {
        _hub.Dispose();
        return Task.CompletedTask;
    }

    private async Task<JsonArray> AuditAsync()
    {
        using var admin = _hub.Admin();
        return (await (await admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
    }

    [Fact]
    public async Task Issuer_CannotIssueDirectly_SubmitsADraft_ASecondPersonApproves_AndTheResidentGetsIt()
    {
        using var anonymous = _hub.CreateClient();
        var resident = await Api.RegisterAsync(anonymous, 39.3114, 140.5535);
        var received = new List<JsonElementMessage>();
        await using var residentConnection = await _hub.ConnectResidentAsync(resident, received);

        using var issuer = await _hub.SignInAsStaffAsync("issuer");
        using var approver = await _hub.SignInAsStaffAsync("approver");
        var drafts = new List<string>();
        await using var staffFeed = _hub.SignalRWithCookie(approver);
        staffFeed.On<JsonObject>("alertDraft", d => { lock (drafts) { drafts.Add(d["state"]!.GetValue<string>()); } });
        await staffFeed.StartListeningAsync();

        await (await issuer.Client.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(Here))).AssertProblemAsync(403, "alerts.approval_required");
        Assert.Empty((await (await issuer.Client.GetAsync("/api/alerts")).JsonAsync()).AsArray());

        var submitted = await issuer.Client.PostAsJsonAsync("/api/alert-drafts", Api.ExerciseAlert(Here, headline: "承認待ちの訓練"));
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var draftId = (await submitted.JsonAsync())["id"]!.GetValue<string>();
        var pending = (await (await approver.Client.GetAsync("/api/alert-drafts?state=pending")).JsonAsync()).AsArray();
        Assert.Equal(draftId, Assert.Single(pending)!["id"]!.GetValue<string>());
        Assert.Empty(received);

        var approved = await approver.Client.PostAsync($"/api/alert-drafts/{draftId}/approve", null);
        Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        var alertId = (await approved.JsonAsync())["id"]!.GetValue<string>();
        await Api.WaitForDeliveryAsync(approver.Client, alertId, a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(10));
        for (var i = 0; i < 100 && received.Count == 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(alertId, Assert.Single(received).AlertId);
        for (var i = 0; i < 100 && drafts.Count < 2; i++)
        {
            await Task.Delay(50);
        }

        lock (drafts)
        {
            Assert.Equal(["pending", "approved"], drafts);
        }

        var audit = await AuditAsync();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "alerts.draft.submit" && e["actor"]!.GetValue<string>().Contains(issuer.Username));
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "alerts.draft.approve" && e["actor"]!.GetValue<string>().Contains(approver.Username));
    }

    [Fact]
    public async Task Approve_FourApproversAtOnce_IssuesOneAlertAndTheOthersGet409()
    {
        using var issuer = _hub.WithKey(await _hub.CreateKeyAsync("issuer"));
        var approvers = new List<HttpClient>();
        for (var i = 0; i < 4; i++)
        {
            approvers.Add(_hub.WithKey(await _hub.CreateKeyAsync("approver")));
        }

        for (var trial = 0; trial < 5; trial++)
        {
            var submitted = await issuer.PostAsJsonAsync("/api/alert-drafts", Api.ExerciseAlert(Here, headline: $"同時承認 {trial}"));
            var draftId = (await submitted.JsonAsync())["id"]!.GetValue<string>();
            using var start = new SemaphoreSlim(0);
            var approvals = approvers.Select(a => Task.Run(async () =>
            {
                await start.WaitAsync();
                return await a.PostAsync($"/api/alert-drafts/{draftId}/approve", null);
            })).ToList();
            start.Release(approvals.Count);
            var responses = await Task.WhenAll(approvals);

            var accepted = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
            var alertId = (await accepted.JsonAsync())["id"]!.GetValue<string>();
            foreach (var refused in responses.Where(r => r != accepted))
            {
                var problem = await refused.Content.ReadAsStringAsync();
                Assert.True(refused.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound, problem);
                Assert.Contains(refused.StatusCode == HttpStatusCode.Conflict ? "alerts.draft_already_decided" : "alerts.draft_not_found", problem);
            }

            var issued = (await (await issuer.GetAsync("/api/alerts")).JsonAsync()).AsArray();
            Assert.Equal(trial + 1, issued.Count);
            var draft = (await (await issuer.GetAsync("/api/alert-drafts")).JsonAsync()).AsArray().Single(d => d!["id"]!.GetValue<string>() == draftId)!;
            Assert.Equal("approved", draft["state"]!.GetValue<string>());
            Assert.Equal(alertId, draft["alertId"]!.GetValue<string>());
        }

        foreach (var a in approvers)
        {
            a.Dispose();
        }
    }

    [Fact]
    public async Task Approver_CannotApproveTheirOwnDraft_ButAnotherApproverCanRejectItWithAReason()
    {
        using var author = await _hub.SignInAsStaffAsync("approver");
        using var other = await _hub.SignInAsStaffAsync("approver");
        var draftId = (await (await author.Client.PostAsJsonAsync("/api/alert-drafts", Api.ExerciseAlert(Here))).JsonAsync())["id"]!.GetValue<string>();

        await (await author.Client.PostAsync($"/api/alert-drafts/{draftId}/approve", null)).AssertProblemAsync(403, "alerts.draft_self_approval");
        await (await other.Client.PostAsJsonAsync($"/api/alert-drafts/{draftId}/reject", new { reason = " " })).AssertProblemAsync(400, "alerts.invalid");
        Assert.Equal(HttpStatusCode.NoContent, (await other.Client.PostAsJsonAsync($"/api/alert-drafts/{draftId}/reject", new { reason = "範囲が広すぎる" })).StatusCode);

        var rejected = (await (await other.Client.GetAsync("/api/alert-drafts?state=rejected")).JsonAsync()).AsArray();
        var draft = Assert.Single(rejected)!;
        Assert.Equal("範囲が広すぎる", draft["reason"]!.GetValue<string>());
        Assert.Empty((await (await other.Client.GetAsync("/api/alerts")).JsonAsync()).AsArray());
        await (await other.Client.PostAsync($"/api/alert-drafts/{draftId}/approve", null)).AssertProblemAsync(404, "alerts.draft_not_found");
    }

    [Fact]
    public async Task Draft_WithoutStatusOrTexts_IsRefusedUpFront()
    {
        using var issuer = await _hub.SignInAsStaffAsync("issuer");
        await (await issuer.Client.PostAsJsonAsync("/api/alert-drafts", new { @event = "洪水", area = Here, texts = new { ja = new { headline = "h" } } }))
            .AssertProblemAsync(400, "alerts.invalid");
        await (await issuer.Client.PostAsJsonAsync("/api/alert-drafts", new { status = "Exercise", @event = "洪水", area = Here }))
            .AssertProblemAsync(400, "alerts.text_missing");
        using var viewer = await _hub.SignInAsStaffAsync("viewer");
        await (await viewer.Client.PostAsJsonAsync("/api/alert-drafts", Api.ExerciseAlert(Here))).AssertProblemAsync(403, "auth.forbidden");
    }

    [Fact]
    public async Task EmergencyBypass_ByASignedInApprover_NeedsAReason_AndIsAudited()
    {
        using var approver = await _hub.SignInAsStaffAsync("approver");
        await (await approver.Client.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(Here))).AssertProblemAsync(400, "alerts.bypass_reason_required");
        Assert.Empty((await (await approver.Client.GetAsync("/api/alerts")).JsonAsync()).AsArray());

        var alert = JsonSerializerNode(Api.ExerciseAlert(Here));
        alert["bypassReason"] = "堤防決壊、承認者不在";
        var issued = await approver.Client.PostAsJsonAsync("/api/alerts", alert);
        Assert.Equal(HttpStatusCode.Accepted, issued.StatusCode);
        var alertId = (await issued.JsonAsync())["id"]!.GetValue<string>();

        var bypass = Assert.Single(await AuditAsync(), e => e!["action"]!.GetValue<string>() == "alerts.issue.bypass")!;
        Assert.Equal(alertId, bypass["target"]!.GetValue<string>());
        Assert.Equal("堤防決壊、承認者不在", bypass["detail"]!.GetValue<string>());
        Assert.Contains(approver.Username, bypass["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task EmergencyBypass_WithAnAdminApiKey_IsAllowedWithoutAReason_ButStillAudited()
    {
        using var admin = _hub.Admin();
        var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(Here));
        var bypass = Assert.Single(await AuditAsync(), e => e!["action"]!.GetValue<string>() == "alerts.issue.bypass")!;
        Assert.Equal(issued["id"]!.GetValue<string>(), bypass["target"]!.GetValue<string>());
        Assert.Equal("no reason given (API key)", bypass["detail"]!.GetValue<string>());
    }

    private static JsonObject JsonSerializerNode(object value) => System.Text.Json.JsonSerializer.SerializeToNode(value, HttpJson.Options)!.AsObject();
}

public sealed class ApprovalOffTests
{
    [Fact]
    public async Task RequireApprovalOff_IssuerIssuesDirectly_AndNothingIsRecordedAsABypass()
    {
        using var hub = new HubFactory(settings: new() { ["Alerts:RequireApproval"] = "false" });
        await hub.WaitReadyAsync();
        using var issuer = await hub.SignInAsStaffAsync("issuer");
        var issued = await Api.IssueAsync(issuer.Client, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.31, lon = 140.55, radiusMeters = 100 } } }));
        Assert.Equal(1, issued["version"]!.GetValue<int>());
        using var admin = hub.Admin();
        var audit = (await (await admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
        Assert.DoesNotContain(audit, e => e!["action"]!.GetValue<string>() == "alerts.issue.bypass");
    }
}
