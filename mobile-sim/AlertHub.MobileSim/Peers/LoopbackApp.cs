using Microsoft.AspNetCore.Builder;

namespace AlertHub.MobileSim.Peers;

internal static class LoopbackApp
{
    /// <summary>Stops a peer's web app within 5 s (a stuck connection must not hang a test or a load run), then disposes it.</summary>
    public static async Task StopAndDisposeAsync(this WebApplication app)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await app.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await app.DisposeAsync();
    }
}
