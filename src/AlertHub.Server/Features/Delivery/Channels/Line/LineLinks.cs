using AlertHub.Core.Storage;
using AlertHub.Server.Features.Residents;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>
/// The LINE webhook's view of residents, through their one owner <see cref="IResidentStore"/>: find them by LINE user id,
/// switch their line endpoint on or off, change attributes and the district place in place (a full replacement would
/// recreate every endpoint, losing secrets and states); and the webhook event ids taken, to drop LINE's redeliveries, with
/// old ones forgotten once an hour after <see cref="LineChannelOptions.WebhookEventRetention"/>.
/// </summary>
internal sealed class LineLinks(IResidentStore residents, ILineEventStore events, TimeProvider time, IOptions<LineChannelOptions> options)
{
    private long _nextPruneMs;

    /// <summary>Records an event id; false when it was seen before (a redelivery).</summary>
    public async Task<bool> ClaimEventAsync(string eventId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var claimed = await events.ClaimAsync(eventId, now, cancellationToken);
        var nowMs = now.ToUnixTimeMilliseconds();
        if (nowMs >= Interlocked.Read(ref _nextPruneMs))
        {
            Interlocked.Exchange(ref _nextPruneMs, nowMs + (long)TimeSpan.FromHours(1).TotalMilliseconds);
            await events.PruneAsync(now - options.Value.WebhookEventRetention, cancellationToken);
        }

        return claimed;
    }

    /// <summary>Forgets an event id whose processing failed, so LINE's redelivery is processed.</summary>
    public Task ReleaseEventAsync(string eventId, CancellationToken cancellationToken) => events.ReleaseAsync(eventId, cancellationToken);

    /// <summary>The resident holding this LINE user id (an active endpoint first, then the newest).</summary>
    public Task<Guid?> FindResidentAsync(string userId, CancellationToken cancellationToken) =>
        residents.FindByAddressAsync(LineChannel.ChannelName, userId, cancellationToken);

    /// <summary>Sets the state ('active' or 'gone') of every line endpoint with this user id; returns the residents changed.</summary>
    public Task<IReadOnlyList<Guid>> SetEndpointStateAsync(string userId, string state, CancellationToken cancellationToken) =>
        residents.SetAddressStateAsync(LineChannel.ChannelName, userId, state, cancellationToken);

    /// <summary>Changes only what is given: household tags, language (when <paramref name="setLanguage"/>), and the
    /// district, which replaces the resident's places. Endpoints are left alone.</summary>
    public Task<bool> UpdateProfileAsync(Guid residentId, string[]? householdTags, bool setLanguage, string? language, ValidPlace? place,
        CancellationToken cancellationToken) =>
        residents.UpdateProfileAsync(residentId, householdTags, setLanguage, language, place is null ? null : new StoredPlace(place.Label, place.Lat, place.Lon),
            time.GetUtcNow(), cancellationToken);
}
