using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace AlertHub.IntegrationTests.Infrastructure;

public static class StaffHubConnections
{
    /// <summary>
    /// Starts a connection to the staff hub and returns once the hub has finished <c>OnConnectedAsync</c>, which is
    /// where it joins the staff group. <c>StartAsync</c> returns at the handshake, before that has run, so an event
    /// sent at once could miss the connection (a loaded CI machine did exactly that). SignalR dispatches invocations
    /// only after <c>OnConnectedAsync</c>, so the round trip of one call (to a method the listen-only hub does not
    /// have, which it refuses) is the barrier.
    /// </summary>
    public static async Task StartListeningAsync(this HubConnection connection)
    {
        await connection.StartAsync();
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("listening"));
    }
}
