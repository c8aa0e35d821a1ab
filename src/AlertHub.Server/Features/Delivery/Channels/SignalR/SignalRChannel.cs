using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Residents;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.SignalR;

/// <summary>Configuration section <c>Channels:SignalR</c>.</summary>
public sealed class SignalRChannelOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false; appsettings.json turns it on.</summary>
    public bool Enabled { get; set; }

    /// <summary>Items per batch. Default 1000.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>When a resident is not connected, try again after this long (a Subscribe makes it due at once). Default 2 min.</summary>
    public TimeSpan OfflineRetry { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>The <c>alert</c> message residents' SignalR clients receive.</summary>
internal sealed record SignalRAlertMessage(
    string AlertId, int Version, string MsgType, string Status, string Severity, string Urgency, string Event, string Headline, string Body,
    string? Instruction, string Language, string? AreaName, DateTimeOffset Sent, DateTimeOffset? Expires, string IdempotencyKey, string? ImageUrl = null);

/// <summary>
/// Pushes to residents' live SignalR connections. SignalR is at-most-once and keeps nothing for offline
/// clients, so "delivered" means handed to at least one live connection (in a cluster, published through the Redis
/// backplane to the node that holds it); offline residents stay pending in the outbox until they subscribe again.
/// </summary>
internal sealed class SignalRChannel(IHubContext<AlertsHub> hub, ResidentConnections connections, IOptions<SignalRChannelOptions> options)
    : IDeliveryChannel, IPresenceChannel, IChannelSetup<SignalRChannelOptions>
{
    public const string ChannelName = ChannelNames.SignalR;

    /// <summary>The detail recorded for a resident not connected here while the cluster's Redis was unreachable or settling.</summary>
    public const string PresenceIncomplete = "cluster Redis unreachable or failing over";

    public static void Configure(ChannelBuilder<SignalRChannelOptions> channel)
    {
        channel.Services.AddSignalR();
        channel.Services.AddSingleton<ResidentConnections>();
        channel.Services.AddSingleton<IPublicEventAudience, ResidentAudience>();
        channel.AddEndpointValidator<SignalREndpointValidator>()
            .MapEndpoints(app => app.MapHub<AlertsHub>(AlertsHub.Path));
    }

    public string Name => ChannelName;

    public bool CountsTowardKpi => true;

    // A group send is cheap, so a whole batch may be out unrecorded, but never a second one behind it.
    public ChannelLimits Limits { get; } = new(options.Value.MaxBatchSize, MaxTitleLength: 200, MaxBodyLength: 4000, MaxConcurrency: 64)
    {
        MaxUnrecorded = options.Value.MaxBatchSize,
    };

    public ValueTask<IReadOnlySet<Guid>> ConnectedAsync(IReadOnlyCollection<Guid> residentIds, CancellationToken cancellationToken) =>
        connections.ConnectedAsync(residentIds, cancellationToken);

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var results = new DeliveryItemResult?[batch.Items.Count];
        var sends = new List<Task>(batch.Items.Count);
        // In a cluster a resident may be connected to another node: the group send then goes through the Redis backplane.
        var connected = await connections.ConnectedAsync([.. batch.Items.Select(i => i.ResidentId)], cancellationToken);
        // Read after the answer: a failure while asking makes it incomplete too.
        var incomplete = connections.ElsewhereIncomplete;
        for (var i = 0; i < batch.Items.Count; i++)
        {
            var item = batch.Items[i];
            if (incomplete is { } wait && !connections.IsConnected(item.ResidentId))
            {
                // While Redis is unreachable or settling after a failover, "found nowhere" may be a resident connected to
                // another node, and a send to one found there may be published before that node has subscribed again on the
                // new primary (pub/sub keeps nothing). Ask again once it has settled, as a throttle: it is not the
                // resident's failure and must not use up their attempts, nor leave them waiting offline for OfflineRetry.
                results[i] = batch.Report(new DeliveryItemResult(item.WorkId, DeliveryOutcome.Throttled, PresenceIncomplete, wait)
                {
                    MayHaveReached = false, RecipientAbsent = true,
                });
                continue;
            }

            if (!connected.Contains(item.ResidentId))
            {
                results[i] = batch.Report(new DeliveryItemResult(item.WorkId, DeliveryOutcome.Transient, Presence.NotConnected, options.Value.OfflineRetry)
                {
                    MayHaveReached = false, RecipientAbsent = true,
                });
                continue;
            }

            if (!await batch.AdmitAsync(item, cancellationToken))
            {
                continue; // replaced by a newer version meanwhile: the outbox settles it
            }

            sends.Add(SendOneAsync(batch, item, results, i, cancellationToken));
        }

        await Task.WhenAll(sends);
        return new DeliveryReport([.. results.OfType<DeliveryItemResult>()]);
    }

    private async Task SendOneAsync(DeliveryBatch batch, DeliveryItem item, DeliveryItemResult?[] results, int index, CancellationToken cancellationToken)
    {
        var m = item.Message;
        var message = new SignalRAlertMessage(m.AlertId, m.Version, m.MsgType, m.Status, m.Severity, m.Urgency, m.Event, m.Headline, m.Body,
            m.Instruction, m.Language, m.AreaName, m.Sent, m.Expires, item.IdempotencyKey, m.ImageUrl);
        await hub.Clients.Group(AlertsHub.ResidentGroup(item.ResidentId)).SendAsync("alert", message, cancellationToken);
        results[index] = batch.Report(new DeliveryItemResult(item.WorkId, DeliveryOutcome.Delivered));
    }
}

/// <summary>Public events (shelter status) reach residents' pages too.</summary>
internal sealed class ResidentAudience(IHubContext<AlertsHub> hub) : IPublicEventAudience
{
    public Task SendToAllAsync(string eventName, object payload, CancellationToken cancellationToken) =>
        hub.Clients.All.SendAsync(eventName, payload, cancellationToken);
}

/// <summary>The SignalR "address" is the resident themselves; clients subscribe with id + token.</summary>
internal sealed class SignalREndpointValidator : IEndpointValidator
{
    public string Channel => SignalRChannel.ChannelName;

    public ValidEndpoint Validate(EndpointDto endpoint, int index) => new(Channel, "resident", null);
}
