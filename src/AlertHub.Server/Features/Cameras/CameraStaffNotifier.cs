using System.Text.Json;
using System.Threading.Channels;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Security;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Tells the duty staff through a push channel (a signed webhook, <see cref="CamerasOptions.StaffWebhookUrl"/>) when a
/// camera goes offline or frozen and when it is back — the transitions that matter at 3 a.m. when nobody is looking at
/// the wall. Stale is left to the dashboard: it often clears by itself. Notices queue in memory (bounded; the oldest
/// give way) and each is tried a few times, so a slow receiver never holds up the supervisor.
/// </summary>
internal sealed partial class CameraStaffNotifier(
    IOptions<CamerasOptions> options,
    IOptions<HubOptions> hub,
    OutboundUrlPolicy policy,
    IHttpClientFactory clients,
    TimeProvider time,
    ILogger<CameraStaffNotifier> logger) : BackgroundService
{
    /// <summary>Its own guarded client: the notice must not depend on whether the webhook channel is on.</summary>
    public const string HttpClientName = "cameras-staff-notice";
    private const int MaxAttempts = 3;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<CameraStaffNotice> _queue = Channel.CreateBounded<CameraStaffNotice>(
        new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private bool Configured => !string.IsNullOrEmpty(options.Value.StaffWebhookUrl) && !string.IsNullOrEmpty(options.Value.StaffWebhookSecret);

    /// <summary>Queues a notice for a transition staff must hear about; others are ignored.</summary>
    public void OnTransition(CameraRecord camera, string status, string previous, DateTimeOffset at, string? reason)
    {
        var matters = status is CameraStatuses.Offline or CameraStatuses.Frozen
                      || (status == CameraStatuses.Online && previous is CameraStatuses.Offline or CameraStatuses.Frozen);
        if (!Configured || !matters)
        {
            return;
        }

        var baseUrl = hub.Value.PublicBaseUrl.TrimEnd('/');
        _queue.Writer.TryWrite(new CameraStaffNotice("camera.status", camera.Id, camera.Name, camera.River, camera.District, status, previous, at, reason,
            $"{baseUrl}/api/cameras/{camera.Id}/snapshot.jpg", $"{baseUrl}/staff/#/cameras?camera={Uri.EscapeDataString(camera.Id)}"));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Configured)
        {
            return;
        }

        var url = options.Value.StaffWebhookUrl!;
        if (!policy.IsAllowed(url, out var reason))
        {
            LogUrlRefused(logger, reason);
            return;
        }

        var client = clients.CreateClient(HttpClientName);
        try
        {
            await foreach (var notice in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await SendAsync(client, url, notice, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(HttpClient client, string url, CameraStaffNotice notice, CancellationToken stoppingToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(notice, Json.Options);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            using var request = SignedWebhook.Post(url, body, options.Value.StaffWebhookSecret!, time.GetUtcNow());
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(RequestTimeout);
            try
            {
                using var response = await client.SendAsync(request, timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                LogFailed(logger, notice.CameraId, $"HTTP {(int)response.StatusCode}", attempt);
                if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                LogFailed(logger, notice.CameraId, e.Message, attempt);
            }

            await Task.Delay(TimeSpan.FromSeconds(attempt * 2), time, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Cameras:StaffWebhookUrl is not allowed by the outbound URL policy ({Reason}); camera notices go to the dashboard only")]
    private static partial void LogUrlRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {CameraId}: staff webhook notice failed ({Error}), attempt {Attempt}")]
    private static partial void LogFailed(ILogger logger, string cameraId, string error, int attempt);
}

/// <summary>The staff webhook body for a camera health change.</summary>
internal sealed record CameraStaffNotice(
    string Event, string CameraId, string Name, string? River, string? District, string Status, string Previous, DateTimeOffset At, string? Reason,
    string SnapshotUrl, string DashboardUrl);
