using AlertHub.Core.Storage;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Turns each camera's image freshness into a status (online, stale, frozen, offline) and reports the debounced
/// transitions: a timeline row, the <c>cameraStatus</c> staff event, the duty staff's webhook, a log line and a metric.
/// Only for the cameras this node holds (<see cref="CameraRuntime.Held"/>): on a cluster every other node's runtime of a
/// camera sees no images, and must not call it offline.
/// </summary>
internal sealed partial class CameraStatusReporter(
    ICameraStore store,
    CameraRuntimes runtimes,
    IStaffEvents staff,
    CameraStaffNotifier staffNotifier,
    IOptions<CamerasOptions> options,
    AlertHubTelemetry telemetry,
    ILogger<CameraStatusReporter> logger)
{
    public async Task EvaluateAsync(CancellationToken cancellationToken)
    {
        foreach (var runtime in runtimes.All)
        {
            HealthTransition? transition;
            string persisted;
            lock (runtime.Gate)
            {
                if (!runtime.Held)
                {
                    continue;
                }

                transition = runtime.Health.Evaluate(FreshnessThresholds.For(options.Value, runtime.EffectiveInterval));
                persisted = runtime.Camera.Status;
                if (transition is not null)
                {
                    runtime.Camera = runtime.Camera with { Status = transition.Status, StatusSince = transition.At };
                }
            }

            // After a restart the first observation repeats what was stored: not a change worth a timeline row.
            if (transition is null || (transition.Previous == CameraStatuses.Unknown && transition.Status == persisted))
            {
                continue;
            }

            var previous = transition.Previous == CameraStatuses.Unknown ? persisted : transition.Previous;
            await store.RecordStatusAsync(runtime.Camera.Id, transition.Status, previous, transition.At, transition.Reason, cancellationToken);
            await staff.CameraStatusAsync(new CameraStatusEvent(runtime.Camera.Id, transition.Status, previous, transition.At, transition.Reason), cancellationToken);
            staffNotifier.OnTransition(runtime.Camera, transition.Status, previous, transition.At, transition.Reason);
            LogStatus(logger, runtime.Camera.Id, previous, transition.Status, transition.Reason);
            telemetry.CameraStatusChanges.Add(1, new KeyValuePair<string, object?>("status", transition.Status));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Camera {CameraId} status {Previous} → {Status}: {Reason}")]
    private static partial void LogStatus(ILogger logger, string cameraId, string previous, string status, string reason);
}
