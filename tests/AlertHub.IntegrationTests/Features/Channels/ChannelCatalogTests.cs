using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json.Nodes;
using AlertHub.Core.Delivery;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Fcm;
using AlertHub.MobileSim.Peers.LAlert;
using AlertHub.MobileSim.Peers.Line;
using AlertHub.MobileSim.Peers.Twilio;
using AlertHub.MobileSim.Report;
using AlertHub.Server.Features.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace AlertHub.IntegrationTests.Features.Channels;

/// <summary>
/// The list of channels is complete: every channel class of the server is added with <c>AddChannel</c> under a name of
/// <see cref="ChannelNames"/>, and each one enabled is listed by <c>GET /api/channels</c> with its limits — the numbers
/// the dashboard trims and warns by.
/// </summary>
public sealed class ChannelCatalogTests
{
    [Fact]
    public void Catalog_ListsEveryChannelClassOfTheServer_EachUnderOneOfTheChannelNames()
    {
        using var hub = new HubFactory();
        var catalog = hub.Services.GetRequiredService<ChannelCatalog>();

        var channelClasses = typeof(Program).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && (typeof(IDeliveryChannel).IsAssignableFrom(t) || typeof(IPullChannel).IsAssignableFrom(t)))
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal);
        var names = typeof(ChannelNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal);

        Assert.Equal(channelClasses, catalog.All.Select(r => r.ChannelType.FullName!).Order(StringComparer.Ordinal));
        Assert.Equal(names, catalog.All.Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Channels_EveryOneEnabled_AreAllListedWithTheLimitsTheyDeliverBy()
    {
        await using var fcm = new FakeFcm(new ReceiptLog());
        await fcm.StartAsync();
        await using var line = new FakeLine(new ReceiptLog());
        await line.StartAsync();
        await using var voice = new FakeTwilio(new ReceiptLog(), sms: false);
        await voice.StartAsync();
        await using var sms = new FakeTwilio(new ReceiptLog(), sms: true);
        await sms.StartAsync();
        await using var lalert = new FakeLAlert();
        await lalert.StartAsync();
        var settings = new Dictionary<string, string?>(fcm.HubSettings);
        foreach (var (key, value) in line.HubSettings.Concat(voice.HubSettings).Concat(sms.HubSettings))
        {
            settings[key] = value;
        }

        var (user, password) = lalert.Options.Users.First();
        settings["Channels:LAlert:Enabled"] = "true";
        settings["Channels:LAlert:SenderId"] = "bousai.city.yokote.test";
        settings["Channels:LAlert:Nodes:0:Name"] = "primary";
        settings["Channels:LAlert:Nodes:0:Url"] = lalert.NodeUrl("primary");
        settings["Channels:LAlert:Nodes:0:Username"] = user;
        settings["Channels:LAlert:Nodes:0:Password"] = password;

        settings["Channels:WebPush:Enabled"] = "true";
        settings["Channels:WebPush:Subject"] = "mailto:bousai@city.yokote.example";
        settings["Channels:Email:Enabled"] = "true";
        settings["Channels:Email:Host"] = "127.0.0.1";
        settings["Channels:Email:FromAddress"] = "anzen@city.yokote.test";
        settings["Channels:Social:Enabled"] = "true";
        settings["Channels:Loudspeaker:Enabled"] = "true";
        using var hub = new HubFactory(settings: settings);
        await hub.WaitReadyAsync();
        var catalog = hub.Services.GetRequiredService<ChannelCatalog>();
        Assert.All(catalog.All, r => Assert.True(r.Enabled, $"{r.Name} is not enabled by this test: give it the settings it needs"));
        var push = hub.Services.GetRequiredService<ChannelRegistry>();
        using var admin = hub.Admin();

        var listed = (await admin.GetFromJsonAsync<JsonArray>("/api/channels"))!.Select(c => c!.AsObject()).ToList();

        Assert.Equal(catalog.All.Select(r => r.Name).Order(StringComparer.Ordinal), listed.Select(c => c["name"]!.GetValue<string>()));
        foreach (var channel in listed)
        {
            var name = channel["name"]!.GetValue<string>();
            if (channel["kind"]!.GetValue<string>() == "pull")
            {
                Assert.Null(channel["limits"]);
                continue;
            }

            var limits = push.Get(name).Limits;
            var shown = channel["limits"]!;
            Assert.Equal(limits.MaxBatchSize, shown["maxBatchSize"]!.GetValue<int>());
            Assert.Equal(limits.MaxTitleLength, shown["maxTitleLength"]!.GetValue<int>());
            Assert.Equal(limits.MaxBodyLength, shown["maxBodyLength"]!.GetValue<int>());
            Assert.Equal(limits.MaxConcurrency, shown["maxConcurrency"]!.GetValue<int>());
            Assert.True(limits is { MaxBatchSize: > 0, MaxTitleLength: > 0, MaxBodyLength: > 0, MaxConcurrency: > 0 }, $"{name}: {limits}");
        }
    }

    [Fact]
    public async Task Channels_ByDefault_ListOnlyWhatAppsettingsEnables_WebhookWithItsDefaultLimits()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var viewer = hub.WithKey(await hub.CreateKeyAsync("viewer"));

        var listed = (await viewer.GetFromJsonAsync<JsonArray>("/api/channels"))!.Select(c => c!.AsObject()).ToList();

        Assert.Equal(["cap-feed", "signalr", "webhook"], listed.Select(c => c["name"]!.GetValue<string>()));
        var webhook = listed.Single(c => c["name"]!.GetValue<string>() == "webhook")["limits"]!;
        Assert.Equal(256, webhook["maxBatchSize"]!.GetValue<int>());
        Assert.Equal(200, webhook["maxTitleLength"]!.GetValue<int>());
        Assert.Equal(4000, webhook["maxBodyLength"]!.GetValue<int>());
        Assert.Equal(128, webhook["maxConcurrency"]!.GetValue<int>());
    }
}
