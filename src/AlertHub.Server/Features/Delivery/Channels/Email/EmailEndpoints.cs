using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

internal sealed record EmailEndpoint(long Id, Guid ResidentId, string Address, string State);

/// <summary>The e-mail channel's endpoints (confirmation, link lookup), read and changed through their owner <see cref="IResidentStore"/>.</summary>
internal sealed class EmailEndpoints(IResidentStore residents)
{
    public async Task<EmailEndpoint?> FindAsync(long id, CancellationToken cancellationToken) =>
        await residents.FindEndpointAsync(id, EmailChannel.ChannelName, cancellationToken) is { } e ? Of(e) : null;

    /// <summary>The residents' e-mail endpoints in the given state (pending ones for confirmation mails, active ones for links).</summary>
    public async Task<IReadOnlyList<EmailEndpoint>> ForResidentsAsync(IReadOnlyCollection<Guid> residentIds, string state, CancellationToken cancellationToken) =>
        [.. (await residents.EndpointsOfAsync(residentIds, EmailChannel.ChannelName, state, cancellationToken)).Select(Of)];

    /// <summary>pending → active; returns false if the endpoint was not pending (already active, gone or deleted).</summary>
    public Task<bool> ActivateAsync(long id, CancellationToken cancellationToken) => residents.ActivateEndpointAsync(id, EmailChannel.ChannelName, cancellationToken);

    private static EmailEndpoint Of(ResidentEndpoint e) => new(e.Id, e.ResidentId, e.Address, e.State);
}
