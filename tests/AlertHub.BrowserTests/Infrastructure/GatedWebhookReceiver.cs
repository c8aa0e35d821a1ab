using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlertHub.BrowserTests.Infrastructure;

/// <summary>
/// Residents' webhook endpoints on 127.0.0.1 (real Kestrel). It answers the first <see cref="OpenCount"/>
/// deliveries at once and holds the rest until <see cref="Release"/>, so a test can see the dashboard's
/// delivery count stop part-way and then rise, without relying on timing.
/// </summary>
public sealed class GatedWebhookReceiver : IAsyncDisposable
{
    private WebApplication? _app;
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _received;

    public string Url { get; private set; } = "";

    public int OpenCount { get; set; } = int.MaxValue;

    public int Received => Volatile.Read(ref _received);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapPost("/hook/{resident}", async (HttpContext http) =>
        {
            var n = Interlocked.Increment(ref _received);
            if (n > OpenCount)
            {
                await _gate.Task.WaitAsync(TimeSpan.FromSeconds(60), http.RequestAborted);
            }

            return Results.Ok();
        });
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>Hold every delivery after the next <paramref name="open"/> ones.</summary>
    public void Hold(int open)
    {
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        OpenCount = Received + open;
    }

    public void Release()
    {
        OpenCount = int.MaxValue;
        _gate.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
