using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

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

    /// <summary>Reads a request body up to <paramref name="maxBytes"/>; null when it is larger (the peer answers 413).</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is { } n && n <= maxBytes ? (int)n : 4096);
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
