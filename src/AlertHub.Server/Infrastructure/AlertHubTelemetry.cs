using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AlertHub.Server.Infrastructure;

/// <summary>The hub's one Meter and one ActivitySource.</summary>
internal sealed class AlertHubTelemetry : IDisposable
{
    public const string Name = "AlertHub";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;

    public AlertHubTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        DeliverySent = _meter.CreateCounter<long>("alerthub.delivery.sent", description: "Delivery attempts by channel and outcome.");
        DeliveryLatency = _meter.CreateHistogram<double>("alerthub.delivery.latency", unit: "ms", description: "Issue to delivery.");
        TargetingDuration = _meter.CreateHistogram<double>("alerthub.targeting.duration", unit: "ms");
        AlertsIssued = _meter.CreateCounter<long>("alerthub.alerts.issued");
        OutboxWritten = _meter.CreateCounter<long>("alerthub.outbox.written");
        DeliveryRetried = _meter.CreateCounter<long>("alerthub.delivery.retried", description: "Items put back in the outbox for another attempt.");
        DeliveryThrottled = _meter.CreateCounter<long>("alerthub.delivery.throttled", description: "Items a provider asked us to slow down for.");
        DeliveryPruned = _meter.CreateCounter<long>("alerthub.delivery.pruned", description: "Endpoints removed because the provider said the address is gone.");
        TelephonyRequests = _meter.CreateCounter<long>("alerthub.telephony.requests",
            description: "Calls and messages asked of Twilio, by channel, counted as the channel's pacer lets each one start (its rate is the CPS / MPS used).");
        CameraSnapshots = _meter.CreateCounter<long>("alerthub.cameras.snapshots", description: "Camera images accepted, by camera kind.");
        CameraWorkerRestarts = _meter.CreateCounter<long>("alerthub.cameras.worker_restarts", description: "Camera workers (ffmpeg, polls) that failed and were restarted, by kind.");
        CameraStatusChanges = _meter.CreateCounter<long>("alerthub.cameras.status_changes", description: "Recorded camera status transitions, by new status.");
        PasswordHashesRunning = _meter.CreateUpDownCounter<long>("alerthub.staff.password_hashes.running", description: "PBKDF2 computations running now (bounded by Staff:MaxConcurrentHashes).");
        SignInBusy = _meter.CreateCounter<long>("alerthub.staff.signin.busy", description: "Sign-ins refused because the password-hashing queue was full.");
    }

    public Counter<long> DeliverySent { get; }
    public Histogram<double> DeliveryLatency { get; }
    public Histogram<double> TargetingDuration { get; }
    public Counter<long> AlertsIssued { get; }
    public Counter<long> OutboxWritten { get; }
    public Counter<long> DeliveryRetried { get; }
    public Counter<long> DeliveryThrottled { get; }
    public Counter<long> DeliveryPruned { get; }
    public Counter<long> TelephonyRequests { get; }
    public Counter<long> CameraSnapshots { get; }
    public Counter<long> CameraWorkerRestarts { get; }
    public Counter<long> CameraStatusChanges { get; }
    public UpDownCounter<long> PasswordHashesRunning { get; }
    public Counter<long> SignInBusy { get; }

    public void Dispose() => _meter.Dispose();
}
