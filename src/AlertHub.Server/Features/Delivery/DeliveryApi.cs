using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Delivery.Channels.SignalR;
using AlertHub.Server.Features.Delivery.Channels.Social;
using AlertHub.Server.Features.Delivery.Channels.CapFeed;
using AlertHub.Server.Features.Delivery.Channels.Email;
using AlertHub.Server.Features.Delivery.Channels.Fcm;
using AlertHub.Server.Features.Delivery.Channels.Line;
using AlertHub.Server.Features.Delivery.Channels.LAlert;
using AlertHub.Server.Features.Delivery.Channels.Loudspeaker;
using AlertHub.Server.Features.Delivery.Channels.Telephony;
using AlertHub.Server.Features.Delivery.Channels.Webhook;
using AlertHub.Server.Features.Delivery.Channels.WebPush;
using AlertHub.Server.Features.Security;

namespace AlertHub.Server.Features.Delivery;

internal sealed record ChannelStatus(
    string Name, string Kind, bool Enabled, bool Healthy, string Circuit, string? Problem, bool CountsTowardKpi, bool DeliveredInWindow, ChannelWindowStats Last24h);

internal sealed record PushChannelKpi(int Count, int Target, double WindowHours, IReadOnlyList<ChannelStatus> Channels);

internal static class DeliveryApi
{
    /// <summary>The city's target for プッシュ型情報発信手段の数 (Yokote: 3 → 6).</summary>
    public const int KpiTarget = 6;

    /// <summary>Registers the outbox workers and every channel that configuration enables (off unless configured).</summary>
    public static IHostApplicationBuilder AddDelivery(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;
        services.Configure<DeliveryOptions>(config.GetSection("Delivery"));
        services.Configure<OutboundUrlOptions>(config.GetSection("Security:OutboundUrls"));
        services.AddSingleton<OutboundUrlPolicy>();
        services.AddSingleton<OutboxStore>();
        services.AddSingleton<DeliverySignals>();
        services.AddSingleton<DeliveryTimings>();
        services.AddSingleton<ChannelRegistry>();
        services.AddSingleton<ChannelResilience>();
        services.AddHostedService<DeliveryWorkers>();

        // Each channel registers itself only when Channels:<Name>:Enabled is true.
        builder.AddSignalRChannel();
        builder.AddWebhookChannel();
        builder.AddFcmChannel();
        builder.AddWebPushChannel();
        builder.AddLineChannel();
        builder.AddEmailChannel();
        builder.AddSocialChannel();
        builder.AddLoudspeakerChannel();
        builder.AddCapFeed();
        builder.AddVoiceChannel();
        builder.AddSmsChannel();
        builder.AddLAlertChannel();

        return builder;
    }

    public static RouteGroupBuilder MapDeliveryApi(this IEndpointRouteBuilder app)
    {
        app.MapSignalRChannel();
        app.MapFcmChannel();
        app.MapWebPushChannel();
        app.MapLineChannel();
        app.MapEmailChannel();
        app.MapCapFeed();
        app.MapLAlertApi();

        var group = app.MapGroup("/api").WithTags("Channels").RequireAuthorization(StaffRoles.Policies.Viewer);
        group.MapGet("/channels", async (ChannelRegistry channels, ChannelResilience resilience, OutboxStore outbox, IEnumerable<IPullChannel> pull,
            TimeProvider time, CancellationToken ct) => TypedResults.Ok(await StatusAsync(channels, resilience, outbox, pull, time, ct)));

        group.MapGet("/kpi/push-channels", async (ChannelRegistry channels, ChannelResilience resilience, OutboxStore outbox, IEnumerable<IPullChannel> pull,
            TimeProvider time, CancellationToken ct) =>
        {
            var all = await StatusAsync(channels, resilience, outbox, pull, time, ct);
            var counted = all.Count(c => c.CountsTowardKpi && c.Enabled && c.Healthy && c.DeliveredInWindow);
            return TypedResults.Ok(new PushChannelKpi(counted, KpiTarget, 24, all));
        });
        return group;
    }

    private static readonly ChannelWindowStats NoStats = new(0, 0, 0, 0, 0, 0, 0, 0, null, null);

    private static async Task<List<ChannelStatus>> StatusAsync(ChannelRegistry channels, ChannelResilience resilience, OutboxStore outbox,
        IEnumerable<IPullChannel> pullChannels, TimeProvider time, CancellationToken ct)
    {
        var stats = await outbox.StatsSinceAsync(time.GetUtcNow().AddHours(-24).ToUnixTimeMilliseconds(), ct);
        var push = channels.All.Select(c =>
        {
            var s = stats.GetValueOrDefault(c.Name) ?? NoStats;
            var problem = (c as IChannelHealth)?.Problem;
            return new ChannelStatus(c.Name, "push", true, resilience.IsHealthy(c.Name) && problem is null, resilience.DescribeCircuit(c.Name), problem,
                c.CountsTowardKpi, s.Delivered > 0, s);
        });
        // Pull channels (the public CAP feed) are listed for completeness but never count toward the push KPI.
        var pull = pullChannels.Select(p => new ChannelStatus(p.Name, "pull", true, true, "n/a", null, false, false, NoStats));
        return [.. push.Concat(pull).OrderBy(c => c.Name, StringComparer.Ordinal)];
    }
}

/// <summary>A channel residents or partners pull from (the CAP Atom feed): listed in /api/channels, not a push channel.</summary>
internal interface IPullChannel
{
    string Name { get; }
}
