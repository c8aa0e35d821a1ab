namespace AlertHub.MobileSim;

internal static partial class SimLog
{
    [LoggerMessage(1, LogLevel.Information, "Population: {Residents} residents ({Outside} outside the city), seed {Seed}")]
    public static partial void PopulationReady(ILogger logger, int residents, int outside, int seed);

    [LoggerMessage(2, LogLevel.Information, "Webhook receiver listening on {BaseAddress}")]
    public static partial void ReceiverStarted(ILogger logger, string baseAddress);

    [LoggerMessage(3, LogLevel.Information, "Imported chunk {Chunk}: {Accepted} accepted, {Rejected} rejected")]
    public static partial void ImportChunk(ILogger logger, int chunk, int accepted, int rejected);

    [LoggerMessage(4, LogLevel.Information, "SignalR: {Connected} connected, {Failed} failed of {Total}")]
    public static partial void SignalRReady(ILogger logger, int connected, int failed, int total);

    [LoggerMessage(5, LogLevel.Warning, "SignalR resident {ExternalId} failed to connect or subscribe: {Reason}")]
    public static partial void SignalRConnectFailed(ILogger logger, string externalId, string reason);

    [LoggerMessage(6, LogLevel.Warning, "SignalR resident {ExternalId} failed to re-subscribe after reconnecting: {Reason}")]
    public static partial void ResubscribeFailed(ILogger logger, string externalId, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Stopping connections took longer than {Seconds} s; giving up on the rest")]
    public static partial void StopTimedOut(ILogger logger, double seconds);

    [LoggerMessage(8, LogLevel.Information, "Issued alert {AlertId} v{Version} at {Area}: hub targets {Recipients}")]
    public static partial void AlertIssued(ILogger logger, string alertId, int version, string area, int? recipients);

    [LoggerMessage(9, LogLevel.Information, "Waiting ended after {Ms} ms with {Received} receipts (timed out: {TimedOut})")]
    public static partial void WaitEnded(ILogger logger, double ms, int received, bool timedOut);

    [LoggerMessage(10, LogLevel.Information, "Every node's targeting index in step with the store {Ms:0} ms after the import")]
    public static partial void IndexesInStep(ILogger logger, double ms);

    [LoggerMessage(11, LogLevel.Warning, "SignalR resident {ExternalId} could not read their inbox after reconnecting: {Reason}")]
    public static partial void InboxReadFailed(ILogger logger, string externalId, string reason);
}
