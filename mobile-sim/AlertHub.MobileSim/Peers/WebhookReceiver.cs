using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AlertHub.MobileSim.Peers;

/// <summary>
/// The residents' webhook endpoints: one Kestrel app on 127.0.0.1 with an ephemeral port, route
/// POST /hook/{resident}. It checks the signature, records the receipt and answers 200.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private const int MaxBodyBytes = 256 * 1024;

    private readonly ConcurrentDictionary<string, byte[]> _secrets = new(StringComparer.Ordinal);
    private readonly ReceiptLog _log;
    private readonly TimeProvider _time;
    private WebApplication? _app;

    private readonly TimeSpan _delay;

    /// <param name="delay">How long each answer takes after the receipt is recorded: a deliberately slow channel.</param>
    public WebhookReceiver(ReceiptLog log, TimeProvider time, TimeSpan delay = default)
    {
        _log = log;
        _time = time;
        _delay = delay;
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234/hook/</c>; valid after <see cref="StartAsync"/>.</summary>
    public string BaseAddress { get; private set; } = "";

    public void AddResident(string externalId, string secret) => _secrets[externalId] = Encoding.UTF8.GetBytes(secret);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(WebhookReceiver).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = MaxBodyBytes;
        });

        var app = builder.Build();
        app.MapPost("/hook/{resident}", HandleAsync);
        await app.StartAsync(cancellationToken);
        _app = app;

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel did not report the address it bound.");
        BaseAddress = address.TrimEnd('/') + "/hook/";
    }

    private async Task<IResult> HandleAsync(string resident, HttpContext context)
    {
        // Stamp first: latency is measured to arrival, not to the end of our own checks.
        var arrived = _time.GetTimestamp();
        var body = await LoopbackApp.ReadBodyAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            _log.MalformedPayload();
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        if (!_secrets.TryGetValue(resident, out var secret))
        {
            _log.UnknownResidentHit();
            return TypedResults.NotFound();
        }

        if (!WebhookSignature.IsValid(secret, body, context.Request.Headers[WebhookSignature.SignatureHeader]))
        {
            _log.SignatureFailed();
            return TypedResults.Unauthorized();
        }

        if (!AlertPayload.TryReadWebhook(body, out var alertId, out var version))
        {
            _log.MalformedPayload();
            return TypedResults.BadRequest();
        }

        string? deliveryId = context.Request.Headers[WebhookSignature.DeliveryIdHeader];
        _log.Add(new Receipt(resident, SimChannels.Webhook, alertId, version, arrived, deliveryId));
        if (_delay > TimeSpan.Zero)
        {
            await Task.Delay(_delay, _time, context.RequestAborted);
        }

        return TypedResults.Ok();
    }

    public async Task StopAsync(TimeSpan timeout)
    {
        if (_app is null)
        {
            return;
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _app.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopping is bounded on purpose; the process exits anyway.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await StopAsync(TimeSpan.FromSeconds(5));
            await _app.DisposeAsync();
            _app = null;
        }
    }
}

/// <summary>Pulls alert id and version out of the hub's alert payloads (webhook body or SignalR argument).</summary>
internal static class AlertPayload
{
    public static bool TryReadWebhook(ReadOnlySpan<byte> body, out string alertId, out int version)
    {
        alertId = "";
        version = 0;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("alert", out var alert)
                && TryReadAlert(alert, out alertId, out version);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static bool TryReadAlert(JsonElement alert, out string alertId, out int version)
    {
        alertId = "";
        version = 0;
        if (alert.ValueKind != JsonValueKind.Object
            || !alert.TryGetProperty("alertId", out var id)
            || !alert.TryGetProperty("version", out var v)
            || v.ValueKind != JsonValueKind.Number
            || !v.TryGetInt32(out version))
        {
            return false;
        }

        alertId = id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText();
        return alertId.Length > 0;
    }
}
