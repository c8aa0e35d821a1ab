using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AlertHub.MobileSim.Peers;

/// <summary>
/// <c>mobile-sim receive</c>: one resident's webhook endpoint on 127.0.0.1 that prints every alert it is sent, with
/// whether its signature verifies, and answers 200. For trying the hub by hand (the README's first alert); it stops by
/// itself after <c>--timeout</c>.
/// </summary>
internal static class WebhookPrinter
{
    private const int MaxBodyBytes = 256 * 1024;

    public static async Task<int> RunAsync(int port, string secret, TimeSpan timeout, TextWriter output, CancellationToken cancellationToken)
    {
        var secretUtf8 = Encoding.UTF8.GetBytes(secret);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapPost("/{**path}", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
            if (buffer.Length > MaxBodyBytes)
            {
                return Results.StatusCode(413);
            }

            var body = buffer.ToArray();
            var signed = WebhookSignature.IsValid(secretUtf8, body, request.Headers[WebhookSignature.SignatureHeader]);
            await output.WriteLineAsync(Describe(body, signed));
            return Results.Ok();
        });
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"mobile-sim: cannot listen on 127.0.0.1:{port}: {e.Message}");
            return 2;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await output.WriteLineAsync($"mobile-sim: receiving webhooks at {address}/hook for {timeout.TotalSeconds:0} s (Ctrl-C stops)");
        // Ctrl-C or SIGTERM (the host's lifetime hears the latter) ends it early.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(timeout, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    private static string Describe(byte[] body, bool signed)
    {
        var mark = signed ? "signature ok" : "SIGNATURE WRONG";
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement.TryGetProperty("alert", out var alert) ? alert : json.RootElement;
            string Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            var version = root.TryGetProperty("version", out var ver) && ver.ValueKind == JsonValueKind.Number ? ver.GetInt32() : 0;
            return $"[{mark}] {Text("msgType")} v{version} {Text("status")} {Text("severity")}: {Text("headline")} — {Text("body")}";
        }
        catch (JsonException)
        {
            return $"[{mark}] {body.Length} bytes that are not JSON";
        }
    }
}
