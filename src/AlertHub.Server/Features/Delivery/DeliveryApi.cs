using AlertHub.Core.Storage;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Delivery.Channels.CapFeed;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery;

/// <param name="Limits">What the channel takes per message and batch (null for pull channels): the dashboard trims and warns by these.</param>
internal sealed record ChannelStatus(
    string Name, string Kind, bool Enabled, bool Healthy, string Circuit, string? Problem, bool CountsTowardKpi, bool DeliveredInWindow, ChannelWindowStats Last24h,
    ChannelLimits? Limits);

internal sealed record PushChannelKpi(int Count, int Target, double WindowHours, IReadOnlyList<ChannelStatus> Channels);

internal static class DeliveryApi
{
    /// <summary>The city's target for プッシュ型情報発信手段の数 (Yokote: 3 → 6).</summary>
    public const int KpiTarget = 6;

    /// <summary>
    /// Registers the outbox and its workers. Channels are added to the returned builder, one line each
    /// (<see cref="DeliveryBuilder.AddChannel{TChannel, TOptions}"/>); each does nothing unless <c>Channels:&lt;Name&gt;:Enabled</c>.
    /// </summary>
    public static DeliveryBuilder AddDelivery(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<DeliveryOptions>(builder.Configuration.GetSection("Delivery"));
        services.AddOutboundUrlPolicy(builder.Configuration);
        services.AddSingleton<IResidentRecords, OutboxResidentRecords>();
        services.AddSingleton<DeliverySignals>();
        services.AddSingleton<DeliveryTimings>();
        services.AddSingleton<ChannelRegistry>();
        services.AddSingleton<ChannelResilience>();
        services.AddSingleton<ChannelPauses>();
        services.AddSingleton<SharedChannelHealth>();
        services.AddHostedService(sp => sp.GetRequiredService<SharedChannelHealth>());
        services.AddHostedService<DeliveryWorkers>();
        var catalog = new ChannelCatalog();
        services.AddSingleton(catalog);
        return new DeliveryBuilder(builder, catalog);
    }

    /// <summary>Maps <c>/api/channels</c>, <c>/api/kpi/push-channels</c> and what each enabled channel serves.</summary>
    public static RouteGroupBuilder MapDeliveryApi(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        CapFeedSetup.WarnIfPublicBaseUrlIsLocal(services.GetRequiredService<IHostEnvironment>(), services.GetRequiredService<IOptions<HubOptions>>().Value,
            services.GetRequiredService<ILoggerFactory>().CreateLogger<CapFeedChannel>());
        services.GetRequiredService<ChannelCatalog>().MapEndpoints(app);

        var group = app.MapGroup("/api").WithTags("Channels").RequireAuthorization(StaffRoles.Policies.Viewer);
        group.MapGet("/channels", async (ChannelRegistry channels, ChannelResilience resilience, IOutboxStore outbox, IEnumerable<IPullChannel> pull,
            SharedChannelHealth shared, TimeProvider time, CancellationToken ct) =>
            TypedResults.Ok(await StatusAsync(channels, resilience, outbox, pull, await shared.ElsewhereAsync(ct), time, ct)));

        group.MapGet("/kpi/push-channels", async (ChannelRegistry channels, ChannelResilience resilience, IOutboxStore outbox, IEnumerable<IPullChannel> pull,
            SharedChannelHealth shared, TimeProvider time, CancellationToken ct) =>
        {
            var all = await StatusAsync(channels, resilience, outbox, pull, await shared.ElsewhereAsync(ct), time, ct);
            var counted = all.Count(c => c.CountsTowardKpi && c.Enabled && c.Healthy && c.DeliveredInWindow);
            return TypedResults.Ok(new PushChannelKpi(counted, KpiTarget, 24, all));
        });
        return group;
    }

    private static readonly ChannelWindowStats NoStats = new(0, 0, 0, 0, 0, 0, 0, 0, null, null);

    /// <param name="elsewhere">Problems other nodes of a cluster report, by channel (<see cref="SharedChannelHealth"/>).</param>
    private static async Task<List<ChannelStatus>> StatusAsync(ChannelRegistry channels, ChannelResilience resilience, IOutboxStore outbox,
        IEnumerable<IPullChannel> pullChannels, IReadOnlyDictionary<string, string> elsewhere, TimeProvider time, CancellationToken ct)
    {
        var stats = await outbox.StatsSinceAsync(time.GetUtcNow().AddHours(-24).ToUnixTimeMilliseconds(), ct);
        var push = channels.All.Select(c =>
        {
            var s = stats.GetValueOrDefault(c.Name) ?? NoStats;
            var problem = (c as IChannelHealth)?.Problem ?? elsewhere.GetValueOrDefault(c.Name);
            return new ChannelStatus(c.Name, "push", true, resilience.IsHealthy(c.Name) && problem is null, resilience.DescribeCircuit(c.Name), problem,
                c.CountsTowardKpi, s.Delivered > 0, s, c.Limits);
        });
        // Pull channels (the public CAP feed) are listed for completeness but never count toward the push KPI.
        var pull = pullChannels.Select(p => new ChannelStatus(p.Name, "pull", true, true, "n/a", null, false, false, NoStats, null));
        return [.. push.Concat(pull).OrderBy(c => c.Name, StringComparer.Ordinal)];
    }
}

/// <summary>A channel residents or partners pull from (the CAP Atom feed): listed in /api/channels, not a push channel.</summary>
internal interface IPullChannel
{
    string Name { get; }
}
