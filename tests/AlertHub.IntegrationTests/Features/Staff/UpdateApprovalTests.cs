using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Staff;

/// <summary>
/// The two-person rule holds for updates too: an issuer cannot change what an alert says, raise it, or reach more
/// people with /update. Harmless updates, cancels and all-clears never wait.
/// </summary>
public sealed class UpdateApprovalTests : IAsyncLifetime
{
    private static readonly object Here = new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 1000 } } };
    private static readonly object Wide = new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 50_000 } } };
    private readonly HubFactory _hub = new();
    private HttpClient _admin = null!;
    private HttpClient _issuer = null!;

    public async Task InitializeAsync()
    {
        await _hub.WaitReadyAsync();
        _admin = _hub.Admin();
        _issuer = _hub.WithKey(await _hub.CreateKeyAsync("issuer"));
        using var anonymous = _hub.CreateClient();
        await Api.RegisterAsync(anonymous, 39.3114, 140.5535);
        // Outside the 1 km circle, inside 50 km: only a widened alert reaches them.
        await Api.RegisterAsync(anonymous, 39.40, 140.60);
    }

    public Task DisposeAsync()
    {
        _admin.Dispose();
        _issuer.Dispose();
        _hub.Dispose();
        return Task.CompletedTask;
    }

    public static TheoryData<string, string> Material => new()
    {
        { """{"area": {"circles": [{"lat": 39.3114, "lon": 140.5535, "radiusMeters": 50000}]}}""", "area" },
        { """{"severity": "Extreme"}""", "severity" },
        { """{"event": "土砂災害"}""", "event" },
        { """{"texts": {"ja": {"headline": "避難指示", "body": "すぐに避難してください。"}}}""", "texts" },
    };

    [Theory]
    [MemberData(nameof(Material))]
    public async Task Update_ByAnIssuerThatNeedsApproval_IsRefusedAndNothingIsSent(string body, string change)
    {
        var id = await IssueAsync();

        var problem = await (await _issuer.PostAsync($"/api/alerts/{id}/update", HttpJson.Raw(body))).AssertProblemAsync(403, "alerts.approval_required");

        Assert.Contains(change, problem["changes"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Single((await (await _admin.GetAsync($"/api/alerts/{id}")).JsonAsync())["versions"]!.AsArray());
    }

    [Theory]
    [InlineData("""{"expires": "2099-01-01T00:00:00Z"}""")]
    [InlineData("""{"severity": "Moderate"}""")]
    [InlineData("""{"area": {"circles": [{"lat": 39.3114, "lon": 140.5535, "radiusMeters": 500}]}}""")]
    [InlineData("""{"texts": {"ja": {"headline": "横手川 氾濫危険", "body": "横手川が氾濫危険水位に達しました。", "instruction": "高い所へ避難してください。"}, "en": {"headline": "Yokote River flood danger", "body": "The river reached the danger level.", "instruction": "Move to higher ground."}}}""")]
    public async Task Update_ByAnIssuerThatChangesNothingThatMatters_GoesOut(string body)
    {
        var id = await IssueAsync();

        var response = await _issuer.PostAsync($"/api/alerts/{id}/update", HttpJson.Raw(body));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, (await response.JsonAsync())["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task UpdateDraft_ApprovedByASecondPerson_IssuesTheUpdate()
    {
        var id = await IssueAsync();
        using var approver = _hub.WithKey(await _hub.CreateKeyAsync("approver"));

        var submitted = await _issuer.PostAsJsonAsync($"/api/alerts/{id}/update-drafts", new { severity = "Extreme", area = Wide });
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var draft = await submitted.JsonAsync();
        Assert.Equal(id, draft["updatesAlertId"]!.GetValue<string>());
        Assert.Single((await (await _admin.GetAsync($"/api/alerts/{id}")).JsonAsync())["versions"]!.AsArray());
        var approved = await approver.PostAsync($"/api/alert-drafts/{draft["id"]!.GetValue<string>()}/approve", null);

        Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        var issued = await approved.JsonAsync();
        Assert.Equal(id, issued["id"]!.GetValue<string>());
        Assert.Equal(2, issued["version"]!.GetValue<int>());
        Assert.Equal(2, issued["recipients"]!.GetValue<int>());
        var alert = await (await _admin.GetAsync($"/api/alerts/{id}")).JsonAsync();
        Assert.Equal("Extreme", alert["current"]!["severity"]!.GetValue<string>());
        await (await approver.PostAsync($"/api/alert-drafts/{draft["id"]!.GetValue<string>()}/approve", null)).AssertProblemAsync(404, "alerts.draft_not_found");
    }

    [Fact]
    public async Task Update_ByASignedInApprover_NeedsAReasonAndIsAudited()
    {
        var id = await IssueAsync();
        using var approver = await _hub.SignInAsStaffAsync("approver");

        await (await approver.Client.PostAsJsonAsync($"/api/alerts/{id}/update", new { severity = "Extreme" })).AssertProblemAsync(400, "alerts.bypass_reason_required");
        var response = await approver.Client.PostAsJsonAsync($"/api/alerts/{id}/update", new { severity = "Extreme", bypassReason = "堤防決壊の通報、承認者不在" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var audit = (await (await _admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "alerts.update.bypass" && e["detail"]!.GetValue<string>().Contains("堤防決壊"));
    }

    [Theory]
    [InlineData("cancel")]
    [InlineData("all-clear")]
    public async Task Retraction_ByAnIssuer_NeverWaitsForApproval(string action)
    {
        var id = await IssueAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await _issuer.PostAsync($"/api/alerts/{id}/{action}", null)).StatusCode);
    }

    [Fact]
    public async Task Update_OfAnEndedAlert_IsRefused()
    {
        var id = await IssueAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await _issuer.PostAsync($"/api/alerts/{id}/all-clear", null)).StatusCode);

        await (await _admin.PostAsJsonAsync($"/api/alerts/{id}/update", new { expires = "2099-01-01T00:00:00Z" })).AssertProblemAsync(409, "alerts.already_ended");
        await (await _issuer.PostAsJsonAsync($"/api/alerts/{id}/update-drafts", new { severity = "Extreme" })).AssertProblemAsync(409, "alerts.already_ended");
        await (await _admin.PostAsync($"/api/alerts/{id}/all-clear", null)).AssertProblemAsync(409, "alerts.already_ended");
        // A cancel may still follow: the alert was wrong from the start.
        Assert.Equal(HttpStatusCode.Accepted, (await _issuer.PostAsync($"/api/alerts/{id}/cancel", null)).StatusCode);
    }

    private async Task<string> IssueAsync() => (await Api.IssueAsync(_admin, Api.ExerciseAlert(Here)))["id"]!.GetValue<string>();
}
