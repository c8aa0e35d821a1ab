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

    // A group send is cheap, so up to three batches may be out unrecorded: the next batch goes out while the last one's
    // outcomes are written (with one, the sends waited for every write and 10,000 residents took 0.55 s instead of 0.35 s).
    // A crash re-sends at most those, with the same idempotency key.
    public ChannelLimits Limits { get; } = new(options.Value.MaxBatchSize, MaxTitleLength: 200, MaxBodyLength: 4000, MaxConcurrency: 64)
    {
        MaxUnrecorded = 3 * options.Value.MaxBatchSize,
    };

    public ValueTask<IReadOnlySet<Guid>> ConnectedAsync(IReadOnlyCollection<Guid> residentIds, CancellationToken cancellationToken) =>
        connections.ConnectedAsync(residentIds, cancellationToken);

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var results = new DeliveryItemResult?[batch.Items.Count];
        var sends = new List<Task>();
        var admitted = new List<int>(SendChunk);
        // In a cluster a resident may be connected to another node: the group send then goes through the Redis backplane.
        var connected = await connections.ConnectedAsync([.. batch.Items.Select(i => i.ResidentId)], cancellationToken);
        // Read after the answer: a failure while asking makes it incomplete too.
        var incomplete = connections.ElsewhereIncomplete;
        // A group send goes out through the Redis backplane even to residents connected here: while this node's backplane
        // has not moved to the new primary, none can be sent.
        var lagging = connections.BackplaneLagging;
        // Found connected is not yet reachable: a backplane's subscriptions come back a little after its connection does
        // (after a failover, Sentinel closes every connection to the promoted server), and a send published before then
        // reaches nobody while being recorded as delivered.
        var unheard = lagging is null
            ? await connections.NotListenedForAsync([.. batch.Items.Select(i => i.ResidentId).Where(connected.Contains)], cancellationToken)
            : new HashSet<Guid>();
        for (var i = 0; i < batch.Items.Count; i++)
        {
            var item = batch.Items[i];
            var hold = lagging ?? (incomplete is { } elsewhere && !connections.IsConnected(item.ResidentId) ? elsewhere : (TimeSpan?)null)
                ?? (unheard.Contains(item.ResidentId) ? SubscriptionRetry : (TimeSpan?)null);
            if (hold is { } wait)
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

            admitted.Add(i);
            if (admitted.Count == SendChunk)
            {
                sends.AddRange(SendChunkAsync(batch, [.. admitted], results, cancellationToken));
                admitted.Clear();
            }
        }

        sends.AddRange(SendChunkAsync(batch, [.. admitted], results, cancellationToken));
        await Task.WhenAll(sends);
        return new DeliveryReport([.. results.OfType<DeliveryItemResult>()]);
    }

    /// <summary>How soon to ask again about a resident whose group nobody subscribes to yet where group sends go: a
    /// backplane subscribes again within about a second of getting its connection back.</summary>
    private static readonly TimeSpan SubscriptionRetry = TimeSpan.FromSeconds(1);

    /// <summary>Items sent together: one group send per text (alert version and language) reaches each of their residents.</summary>
    private const int SendChunk = 250;

    /// <summary>
    /// One message per text, serialized once for all the residents' groups: a per-resident message serialized the same text
    /// a thousand times per batch, and its buffers were most of what a 10,000-resident fan-out allocated.
    /// </summary>
    private IEnumerable<Task> SendChunkAsync(DeliveryBatch batch, int[] indexes, DeliveryItemResult?[] results, CancellationToken cancellationToken) =>
        indexes.GroupBy(i => batch.Items[i].Message).Select(text => SendTextAsync(batch, text.Key, [.. text], results, cancellationToken));

    private async Task SendTextAsync(DeliveryBatch batch, RenderedMessage m, int[] indexes, DeliveryItemResult?[] results, CancellationToken cancellationToken)
    {
        // A connection belongs to one resident (Subscribe replaces the previous one), so the key needs no resident in it to
        // let the client drop a second copy of the same version.
        var message = new SignalRAlertMessage(m.AlertId, m.Version, m.MsgType, m.Status, m.Severity, m.Urgency, m.Event, m.Headline, m.Body,
            m.Instruction, m.Language, m.AreaName, m.Sent, m.Expires, IdempotencyKeyFor(m), m.ImageUrl);
        var groups = new string[indexes.Length];
        for (var k = 0; k < indexes.Length; k++)
        {
            groups[k] = AlertsHub.ResidentGroup(batch.Items[indexes[k]].ResidentId);
        }

        await hub.Clients.Groups(groups).SendAsync("alert", message, cancellationToken);
        foreach (var i in indexes)
        {
            results[i] = batch.Report(new DeliveryItemResult(batch.Items[i].WorkId, DeliveryOutcome.Delivered));
        }
    }

    /// <summary>The <c>idempotencyKey</c> of a SignalR alert message: the alert version and the channel.</summary>
    public static string IdempotencyKeyFor(RenderedMessage message) => $"{message.AlertId}:{message.Version}:{ChannelName}";
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
