using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlertHub.IntegrationTests.Infrastructure;

/// <param name="At">When the answer was ready (after any <see cref="WebhookReceiver.Delay"/>).</param>
/// <param name="StartedAt">When the request arrived.</param>
public sealed record ReceivedWebhook(string Path, string DeliveryId, string Signature, string Timestamp, byte[] Body, bool SignatureValid, JsonNode Json, DateTimeOffset At,
    int Status = 200, DateTimeOffset StartedAt = default);

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, random port) that receives the hub's webhooks, checks the
/// signature itself from the raw bytes, and records everything. Its answers can be scripted.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _secrets = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    public string BaseUrl { get; private set; } = "";

    /// <summary>Optional per-request delay, to slow fan-out down.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Optional scripted status per path (else 200).</summary>
    public ConcurrentDictionary<string, int> StatusByPath { get; } = new();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook/{name}", receiver.HandleAsync);
        await app.StartAsync();
        receiver.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    public string Url(string name, string secret)
    {
        _secrets[name] = secret;
        return $"{BaseUrl}/hook/{name}";
    }

    public async Task WaitForAsync(Func<IReadOnlyCollection<ReceivedWebhook>, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(Received))
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"webhook condition not met within {timeout}; received {Received.Count}");
    }

    private async Task<IResult> HandleAsync(string name, HttpRequest request)
    {
        var startedAt = DateTimeOffset.UtcNow;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var signature = request.Headers["X-AlertHub-Signature"].ToString();
        var valid = _secrets.TryGetValue(name, out var secret) && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body))),
            Encoding.ASCII.GetBytes(signature));
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay);
        }

        var status = StatusByPath.TryGetValue(name, out var scripted) ? scripted : 200;
        Received.Enqueue(new ReceivedWebhook(name, request.Headers["X-AlertHub-Delivery-Id"].ToString(), signature,
            request.Headers["X-AlertHub-Timestamp"].ToString(), body, valid, JsonNode.Parse(body)!, DateTimeOffset.UtcNow, status, startedAt));
        return Results.StatusCode(status);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
