using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features;

public sealed class HealthAndAuthTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Health_AfterStart_ReportsReadyStoreAndWorkers()
    {
        await _hub.WaitReadyAsync();
        using var client = _hub.CreateClient();
        var json = await (await client.GetAsync("/health")).JsonAsync();
        Assert.Equal("ready", json["status"]!.GetValue<string>());
        Assert.True(json["store"]!.GetValue<bool>());
        Assert.True(json["workers"]!.GetValue<bool>());
        Assert.True(File.Exists(Path.Combine(_hub.DataDirectory, "alerthub.db")));
    }

    [Fact]
    public async Task StaffApi_WithoutKey_Returns401MissingKey()
    {
        using var client = _hub.CreateClient();
        await (await client.GetAsync("/api/areas")).AssertProblemAsync(401, "auth.missing_key");
    }

    [Fact]
    public async Task StaffApi_WithUnknownKey_Returns401InvalidKey()
    {
        using var client = _hub.WithKey("not-a-real-key");
        await (await client.GetAsync("/api/areas")).AssertProblemAsync(401, "auth.invalid_key");
    }

    [Fact]
    public async Task IssueAlert_WithViewerKey_Returns403AndIssuesNothing()
    {
        var viewer = await _hub.CreateKeyAsync("viewer");
        using var client = _hub.WithKey(viewer);
        var response = await client.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3, lon = 140.5, radiusMeters = 1000 } } }));
        await response.AssertProblemAsync(403, "auth.forbidden");
        var list = await (await client.GetAsync("/api/alerts")).JsonAsync();
        Assert.Empty(list.AsArray());
    }

    [Fact]
    public async Task IngestKey_CannotReadStaffData_Returns403()
    {
        var ingest = await _hub.CreateKeyAsync("ingest");
        using var client = _hub.WithKey(ingest);
        await (await client.GetAsync("/api/alerts")).AssertProblemAsync(403, "auth.forbidden");
    }

    [Fact]
    public async Task Keys_CreateUseRevoke_RevokedKeyIsRefusedAndAllIsAudited()
    {
        using var admin = _hub.Admin();
        var created = await (await admin.PostAsJsonAsync("/api/keys", new { name = "佐藤 (issuer)", role = "issuer" })).JsonAsync();
        var key = created["key"]!.GetValue<string>();
        using (var issuer = _hub.WithKey(key))
        {
            Assert.True((await issuer.GetAsync("/api/alerts")).IsSuccessStatusCode);
        }

        var listed = await (await admin.GetAsync("/api/keys")).JsonAsync();
        Assert.DoesNotContain(key, listed.ToJsonString(), StringComparison.Ordinal);

        Assert.Equal(204, (int)(await admin.DeleteAsync($"/api/keys/{created["id"]!.GetValue<string>()}")).StatusCode);
        using (var revoked = _hub.WithKey(key))
        {
            await (await revoked.GetAsync("/api/alerts")).AssertProblemAsync(401, "auth.invalid_key");
        }

        var audit = (await (await admin.GetAsync("/api/audit")).JsonAsync()).AsArray();
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "keys.create" && e["actor"]!.GetValue<string>().StartsWith("bootstrap-admin", StringComparison.Ordinal));
        Assert.Contains(audit, e => e!["action"]!.GetValue<string>() == "keys.revoke");
    }

    [Fact]
    public async Task CreateKey_WithUnknownRole_Returns400RoleInvalid()
    {
        using var admin = _hub.Admin();
        await (await admin.PostAsJsonAsync("/api/keys", new { name = "x", role = "superuser" })).AssertProblemAsync(400, "keys.role_invalid");
    }

    [Fact]
    public async Task BootstrapKey_WhenNoneConfigured_IsGeneratedToOwnerOnlyFileAndWorks()
    {
        using var hub = new HubFactory(settings: new() { ["Auth:BootstrapAdminKey"] = null });
        await hub.WaitReadyAsync();
        var path = Path.Combine(hub.DataDirectory, "bootstrap-admin.key");
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        using var client = hub.WithKey((await File.ReadAllTextAsync(path)).Trim());
        Assert.True((await client.GetAsync("/api/keys")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task MalformedJson_OnStaffEndpoint_Returns400MalformedJson()
    {
        using var admin = _hub.Admin();
        await (await admin.PostAsync("/api/alerts", HttpJson.Raw("{\"status\": \"Exercise\", "))).AssertProblemAsync(400, "request.malformed_json");
        await (await admin.PostAsync("/api/keys", HttpJson.Raw("[1,2"))).AssertProblemAsync(400, "request.malformed_json");
    }

    [Fact]
    public async Task OversizeBody_Returns413TooLarge()
    {
        using var admin = _hub.Admin();
        var big = "{\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\",\"role\":\"viewer\"}";
        await (await admin.PostAsync("/api/keys", HttpJson.Raw(big))).AssertProblemAsync(413, "request.too_large");
        var keys = (await (await admin.GetAsync("/api/keys")).JsonAsync()).AsArray();
        Assert.Single(keys);
    }

    internal static JsonArray Arr(JsonNode n) => n.AsArray();
}
