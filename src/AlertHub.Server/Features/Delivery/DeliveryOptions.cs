namespace AlertHub.Server.Features.Delivery;

/// <summary>Configuration section <c>Delivery</c>: how the outbox workers retry and pace.</summary>
public sealed class DeliveryOptions
{
    /// <summary>How often idle workers look for due retries. Default 1 s (new work wakes them at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First retry delay after a transient failure; doubles per attempt (±20% jitter). Default 2 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest retry delay. Default 5 min.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Failed attempts (errors, timeouts, 5xx without Retry-After) before an item is marked failed. Default 8.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Throttled attempts (429, or 503 with Retry-After) before an item is marked failed. These wait exactly as
    /// long as the provider asked (+0–25 % jitter) and do not count toward <see cref="MaxAttempts"/>, so an outage that
    /// answers "retry in 5 s" for many minutes loses nothing. Default 200.</summary>
    public int MaxThrottledAttempts { get; set; } = 200;

    /// <summary>Per-channel resilience: a batch call that takes longer is abandoned (its items stay pending and are sent
    /// again, so a receiver may see one twice — it dedupes on the delivery id). Channels bound their own requests far
    /// below this; it only guards against a hung provider. Default 2 min.</summary>
    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Circuit breaker: share of failed batches that opens the circuit. Default 0.5.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Circuit breaker: fewest batches in the sampling window before it may open. Default 4.</summary>
    public int BreakerMinimumThroughput { get; set; } = 4;

    /// <summary>Circuit breaker: sampling window. Default 30 s.</summary>
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Circuit breaker: how long the circuit stays open. Default 15 s.</summary>
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a claim on outbox rows holds. A worker that has not recorded a claimed row's outcome by then
    /// (its process died or hung) loses it, and the row is sent again (receivers dedupe on the delivery id). Must exceed
    /// <see cref="BatchTimeout"/> plus one batch of waiting. Default 5 min.</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often expired claims are looked for. Default 15 s.</summary>
    public TimeSpan LeaseSweepInterval { get; set; } = TimeSpan.FromSeconds(15);
}
