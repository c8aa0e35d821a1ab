using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Line;
using AlertHub.Server.Features.Delivery.Channels.Line;
using AlertHub.Server.Features.Delivery.Channels.Webhook;
using AlertHub.Server.Features.Residents;
using AlertHub.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Channels.Line;

public sealed class LineWebhookTests
{
    private static readonly object ElderlyOnly = new { householdTags = new { any = new[] { "elderly" } } };

    private static async Task<ResidentView?> ResidentAsync(LineHarness h, string userId)
    {
        var id = await h.Hub.Services.GetRequiredService<LineLinks>().FindResidentAsync(userId, CancellationToken.None);
        return id is { } found ? await h.Hub.Services.GetRequiredService<ResidentStore>().GetAsync(found, CancellationToken.None) : null;
    }

    [Fact]
    public async Task Follow_RegistersAResidentWithALineEndpoint()
    {
        await using var h = await LineHarness.StartAsync();
        var user = FakeLine.UserIdFor("follower");

        var response = await h.Fake.FollowAsync(user, "follower");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var resident = await ResidentAsync(h, user);
        Assert.NotNull(resident);
        var endpoint = Assert.Single(resident.Endpoints);
        Assert.Equal(("line", user, "active"), (endpoint.Channel, endpoint.Address, endpoint.State));
        Assert.Empty(resident.Places);
    }

    [Fact]
    public async Task Postback_SetsDistrictTagsAndLanguage_TargetingAndDeliveryFollow()
    {
        await using var h = await LineHarness.StartAsync();
        using var admin = h.Hub.Admin();
        var district = await Api.AddAreaAsync(admin, "横手地区", Api.Square(LineHarness.Lat, LineHarness.Lon, 0.01), kind: "district");
        var user = FakeLine.UserIdFor("postback");
        await h.Fake.FollowAsync(user, "postback");
        var area = new { areaIds = new[] { district } };
        Assert.Equal(0, await h.PreviewAsync(area));

        var response = await h.Fake.PostbackAsync(user, "district=横手地区&tags=elderly,children&lang=en");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var resident = (await ResidentAsync(h, user))!;
        Assert.Equal(["elderly", "children"], resident.Attributes.HouseholdTags!);
        Assert.Equal("en", resident.Attributes.Language);
        var place = Assert.Single(resident.Places);
        Assert.Equal("横手地区", place.Label);
        Assert.Equal(1, await h.PreviewAsync(area, ElderlyOnly));

        var id = await h.IssueAsync(area, ElderlyOnly);
        await h.WaitLineAsync(id, l => l["delivered"]!.GetValue<long>() == 1);
        Assert.StartsWith("[EXERCISE] Yokote River flood danger", h.Fake.DeliveriesTo(user).Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextMessage_WithSettings_ChangesLanguageAndDistrictById()
    {
        await using var h = await LineHarness.StartAsync();
        using var admin = h.Hub.Admin();
        var district = await Api.AddAreaAsync(admin, "十文字地区", Api.Square(39.22, 140.55, 0.01), kind: "district");
        var user = FakeLine.UserIdFor("texter");
        await h.Fake.FollowAsync(user);

        await h.Fake.TextMessageAsync(user, $"district={district}&lang=ja-x-easy");

        var resident = (await ResidentAsync(h, user))!;
        Assert.Equal("ja-x-easy", resident.Attributes.Language);
        Assert.Equal("十文字地区", Assert.Single(resident.Places).Label);
        Assert.Equal(1, await h.PreviewAsync(new { areaIds = new[] { district } }));
    }

    [Fact]
    public async Task Unfollow_MarksTheEndpointGoneAndStopsTargeting()
    {
        await using var h = await LineHarness.StartAsync();
        var (_, user) = await h.RegisterAsync("leaver");
        Assert.Equal(1, await h.PreviewAsync(LineHarness.Spot()));

        var response = await h.Fake.UnfollowAsync(user);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gone", Assert.Single((await ResidentAsync(h, user))!.Endpoints).State);
        Assert.Equal(0, await h.PreviewAsync(LineHarness.Spot()));

        await h.Fake.FollowAsync(user, "leaver");
        Assert.Equal("active", Assert.Single((await ResidentAsync(h, user))!.Endpoints).State);
        Assert.Equal(1, await h.PreviewAsync(LineHarness.Spot()));
    }

    [Fact]
    public async Task Redelivery_SameWebhookEventId_IsAppliedOnce()
    {
        await using var h = await LineHarness.StartAsync();
        var user = FakeLine.UserIdFor("twice");
        h.Fake.AddFriend(user);
        var body = h.Fake.WebhookBody(h.Fake.Event("follow", user));
        var signature = FakeLine.Sign(h.Fake.Options.ChannelSecret, body);

        Assert.Equal(HttpStatusCode.OK, (await h.Fake.PostWebhookAsync(body, signature)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Fake.PostWebhookAsync(body, signature)).StatusCode);

        Assert.Equal(1, await h.Hub.Services.GetRequiredService<ResidentStore>().CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Webhook_TamperedBodyMissingOrForeignSignature_Is401Problem()
    {
        await using var h = await LineHarness.StartAsync();
        var body = h.Fake.WebhookBody(h.Fake.Event("follow", FakeLine.UserIdFor("mallory")));
        var signature = FakeLine.Sign(h.Fake.Options.ChannelSecret, body);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("follow", "follox", StringComparison.Ordinal));

        await (await h.Fake.PostWebhookAsync(tampered, signature)).AssertProblemAsync(401, "line.signature_invalid");
        await (await h.Fake.PostWebhookAsync(body, null)).AssertProblemAsync(401, "line.signature_invalid");
        await (await h.Fake.PostWebhookAsync(body, FakeLine.Sign("some-other-channel-secret", body))).AssertProblemAsync(401, "line.signature_invalid");
        Assert.Equal(0, await h.Hub.Services.GetRequiredService<ResidentStore>().CountAsync(CancellationToken.None));
    }

    [ToolFact("node-interop")]
    public async Task Signatures_HubWebhookAndLineCode_AreAcceptedByTheLineSdk()
    {
        var secret = "8c570fa6dd201bb328f1c1eac23a96d8";
        var body = Encoding.UTF8.GetBytes("""{"destination":"U0","events":[{"type":"postback","postback":{"data":"district=横手地区&lang=ja"}}],"note":"避難してください"}""");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, body);

            Assert.Equal("true", await NodeAsync("line-verify.mjs", secret, WebhookChannel.Sign(secret, body), file));
            Assert.Equal("true", await NodeAsync("line-verify.mjs", secret, LineWebhook.Sign(secret, body), file));
            Assert.Equal("true", await NodeAsync("line-verify.mjs", secret, FakeLine.Sign(secret, body), file));
            Assert.Equal("false", await NodeAsync("line-verify.mjs", "wrong-secret", LineWebhook.Sign(secret, body), file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [ToolFact("node-interop")]
    public async Task Webhook_SignedByTheSdkSide_IsAcceptedAndTamperingIsRefused()
    {
        await using var h = await LineHarness.StartAsync();
        var user = FakeLine.UserIdFor("sdk-signed");
        var body = h.Fake.WebhookBody(h.Fake.Event("follow", user));
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, body);
            var signature = await NodeAsync("line-sign.mjs", h.Fake.Options.ChannelSecret, file);

            Assert.Equal(HttpStatusCode.OK, (await h.Fake.PostWebhookAsync(body, signature)).StatusCode);
            Assert.NotNull(await ResidentAsync(h, user));

            var tampered = (byte[])body.Clone();
            tampered[^2] = (byte)' ';
            await (await h.Fake.PostWebhookAsync(tampered, signature)).AssertProblemAsync(401, "line.signature_invalid");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<string> NodeAsync(string script, params string[] args)
    {
        var dir = Tools.InteropDirectory!;
        var start = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(dir, script));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, $"node {script} exited {process.ExitCode}: {await stderr}");
        return (await stdout).Trim();
    }
}
