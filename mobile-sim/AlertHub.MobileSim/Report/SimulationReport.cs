namespace AlertHub.MobileSim.Report;

/// <summary>Reach and latency for one channel (or "overall").</summary>
/// <param name="TargetedHub">What the hub said it targeted on this channel (null when it did not say).</param>
/// <param name="TargetedSim">What the sim's own geometry and audience check expects.</param>
/// <param name="Received">Distinct residents that received the alert.</param>
/// <param name="Deliveries">Every receipt, duplicates included.</param>
/// <param name="Duplicates">Receipts beyond the first for the same resident, alert id and version.</param>
/// <param name="OutsideReached">Residents that received it although the sim's check says they are outside (must be 0).</param>
/// <param name="MissedInside">Residents the sim expected that received nothing.</param>
/// <param name="Borderline">Residents within the tolerance of a circle's edge: counted neither as outside nor missed.</param>
/// <param name="P99Ms">Last so reports written before p99 existed still load (for --compare).</param>
internal sealed record ChannelReport(
    string Channel,
    int? TargetedHub,
    int TargetedSim,
    int Received,
    int Deliveries,
    int Duplicates,
    int OutsideReached,
    int MissedInside,
    int Borderline,
    double? P50Ms,
    double? P95Ms,
    double? MaxMs,
    double? P99Ms = null,
    double? FirstMs = null)
{
    /// <summary>Throughput from issue to the last receipt: deliveries ÷ <see cref="MaxMs"/> (null without receipts).</summary>
    public double? PerSecond => MaxMs is > 0 && Deliveries > 0 ? Deliveries / (MaxMs.Value / 1000) : null;
}

/// <summary>
/// SignalR residents that got no push but read the alert in their inbox after their connection came back, as the resident
/// page does (a node died with the alert in its send buffers, or the connection was down while it was sent).
/// </summary>
/// <param name="WithoutPush">Expected SignalR residents that received no push of the alert (their "missed" in the table).</param>
/// <param name="ReadInInbox">Of those, the ones whose inbox, read after reconnecting, listed it.</param>
/// <param name="P50Ms">Issue → that inbox read, median.</param>
/// <param name="MaxMs">Issue → the last such inbox read.</param>
/// <param name="ResidentsSeeingIt">Residents whose inbox listed the alert, pushed to or not.</param>
/// <param name="ReadsFailed">Inbox reads that failed (any resident).</param>
internal sealed record InboxCatchUpReport(int WithoutPush, int ReadInInbox, double? P50Ms, double? MaxMs, int ResidentsSeeingIt, int ReadsFailed);

internal sealed record SimulationReport
{
    public required int Seed { get; init; }
    public required int Residents { get; init; }
    public required int ResidentsOutsideCity { get; init; }
    public required int Imported { get; init; }
    public required int Rejected { get; init; }
    public IReadOnlyList<string> RejectionSamples { get; init; } = [];
    public required int SignalRClients { get; init; }
    public required int SignalRConnected { get; init; }
    public required int SignalRFailed { get; init; }
    public required string WebhookBase { get; init; }
    public required string Area { get; init; }
    public required IReadOnlyList<string> Audience { get; init; }
    public required string AlertId { get; init; }
    public required int AlertVersion { get; init; }
    public required int? HubRecipients { get; init; }
    public required IReadOnlyList<ChannelReport> Channels { get; init; }
    public required ChannelReport Overall { get; init; }
    public required int SignatureFailures { get; init; }
    public required int UnknownResidentHooks { get; init; }
    public required int MalformedPayloads { get; init; }
    public required int OtherAlertReceipts { get; init; }
    public required double WaitedMs { get; init; }

    /// <summary>Where the hub spent its time on the alert: targeting, outbox write, and per batch claim / render / provider / record.</summary>
    public Scenarios.HubTimings? HubTimings { get; init; }

    /// <summary>How long the hub took to answer the issuing POST: targeting plus writing the outbox.</summary>
    public double IssueRequestMs { get; init; }
    public required bool TimedOut { get; init; }

    /// <summary>The scenario that ran (flood, quake, landslide, update-cancel, storm, outage).</summary>
    public string Scenario { get; init; } = "flood";

    /// <summary>The population (yokote, akita, synthetic).</summary>
    public string Population { get; init; } = "yokote";

    /// <summary>update-cancel: one section per version; counts above are summed over them.</summary>
    public IReadOnlyList<Scenarios.VersionReport>? Versions { get; init; }

    /// <summary>--repeat: each issue's node and first receipt; the rest of the report is the last issue.</summary>
    public Scenarios.RepeatReport? Repeat { get; init; }

    /// <summary>storm: per alert; counts above are summed over the alerts.</summary>
    public Scenarios.StormReport? Storm { get; init; }

    /// <summary>outage: when FCM failed and how long recovery took.</summary>
    public Scenarios.OutageReport? Outage { get; init; }

    /// <summary>update-cancel with --retract-at: whether the cancel followed everyone the alert reached.</summary>
    public Scenarios.RetractionReport? Retraction { get; init; }

    /// <summary>--kill-hub-at: each SIGKILL of the hub and what it re-sent.</summary>
    public IReadOnlyList<Scenarios.HubKillReport>? HubKills { get; init; }

    /// <summary>SignalR clients that reconnected read their inbox: what it held for those the push missed. Null without reconnects.</summary>
    public InboxCatchUpReport? InboxCatchUp { get; init; }

    /// <summary>Latency CDF, deliveries per second and per-resident outcomes; null when the runner did not compute them.</summary>
    public ReportDetail? Detail { get; init; }

    /// <summary>How the run was started and what the hub process used; filled in by the command line.</summary>
    public RunInfo? Run { get; init; }

    /// <summary>Regressions against an earlier report (--compare).</summary>
    public ReportComparison? Comparison { get; init; }

    /// <summary>
    /// The run's pass/fail rule: nobody outside the area reached, nobody reached twice, except the re-sends a SIGKILL makes
    /// (work in flight when the hub or node died), each with the delivery id of the first copy, so receivers drop it.
    /// </summary>
    public bool InvariantsHold => Overall.OutsideReached == 0 && Overall.Duplicates == ResentAfterKills
        && (HubKills ?? []).All(k => k.ResentWithOtherKey == 0)
        // --repeat: the earlier issues count too (the tables above are the last one's).
        && (Repeat?.Rounds ?? []).All(r => r.Duplicates == 0);

    /// <summary>Copies delivered again after a kill (see <see cref="HubKills"/>); 0 without kills.</summary>
    public int ResentAfterKills => (HubKills ?? []).Sum(k => k.Resent);
}

/// <param name="Mix">The channel mix as given (e.g. "signalr=0.3,webhook=0.7"), or the SignalR share split.</param>
/// <param name="HubCpuSeconds">CPU time of the hub process (only with --start-hub).</param>
/// <param name="HubPeakMemoryMiB">Peak working set of the hub process (only with --start-hub).</param>
/// <param name="Engine">The store of the hub the run started (--engine), e.g. "PostgreSQL 15.18 (…)"; null against a running hub.</param>
/// <param name="StoreActivity">PostgreSQL: the server's count of the hub's commits and rows written during the run.</param>
internal sealed record RunInfo(
    string Mix,
    DateTimeOffset StartedAt,
    double? HubCpuSeconds,
    double? HubPeakMemoryMiB,
    string? ViaFeed = null,
    string? Engine = null,
    StoreActivity? StoreActivity = null,
    IReadOnlyList<NodeUsage>? Nodes = null)
{
    /// <summary>How the hub mobile-sim started was compiled: "built" (dotnet build) or "published, ReadyToRun" (--published).</summary>
    public string? HubBuild { get; init; }
}

/// <summary>One hub node of a --cluster run: what it used, and how much work it took over from a dead node.</summary>
/// <param name="Delivered">Deliveries the node recorded (from <c>GET /api/cluster</c>, as of its last heartbeat; null when no node answered).</param>
/// <param name="Retries">What the node retried while the database or Redis failed over.</param>
internal sealed record NodeUsage(string Name, double CpuSeconds, double PeakMemoryMiB, int TookOverItems, bool Killed, long? Delivered = null,
    Scenarios.FailoverRetries? Retries = null);

/// <summary>The hub's work in its PostgreSQL database during a run, from the server's statistics (pg_stat_database).</summary>
internal sealed record StoreActivity(long Commits, long RowsInserted, long RowsUpdated, long RowsDeleted)
{
    public override string ToString() =>
        FormattableString.Invariant($"{Commits:N0} commits, {RowsInserted:N0} rows inserted, {RowsUpdated:N0} updated, {RowsDeleted:N0} deleted");
}

/// <summary>The report's time and space detail: what the charts and the map are drawn from.</summary>
internal sealed record ReportDetail(
    IReadOnlyList<LatencyCdf> LatencyCdf,
    DeliveryTimeline DeliveriesPerSecond,
    IReadOnlyList<ResidentOutcome> ResidentOutcomes);

/// <summary>One point of a latency CDF: <paramref name="Fraction"/> of the channel's recipients had it within <paramref name="Ms"/>.</summary>
internal sealed record CdfPoint(double Ms, double Fraction);

internal sealed record LatencyCdf(string Channel, int Samples, IReadOnlyList<CdfPoint> Points);

/// <summary>Deliveries (every receipt, duplicates included) per bucket, counted from the issuing request.</summary>
/// <param name="Overflowed">Receipts later than the last bucket, which were counted in it.</param>
/// <param name="Fine">The same in 100 ms buckets when every receipt came within 10 s: a 1 s bucket says nothing about a short run.</param>
internal sealed record DeliveryTimeline(double BucketSeconds, IReadOnlyList<DeliverySeries> Series, int Overflowed = 0, DeliveryTimeline? Fine = null);

internal sealed record DeliverySeries(string Channel, IReadOnlyList<int> Counts);

/// <summary>What happened to one registered resident, placed at their home for the map.</summary>
/// <param name="Outcome">One of <see cref="Outcomes"/>.</param>
/// <param name="LatencyMs">Issue → first receipt, when received.</param>
internal sealed record ResidentOutcome(
    string ExternalId,
    string Channel,
    double? Lat,
    double? Lon,
    bool Expected,
    int Deliveries,
    string Outcome,
    double? LatencyMs);

internal static class Outcomes
{
    /// <summary>Expected and received.</summary>
    public const string Received = "received";

    /// <summary>Expected, nothing arrived.</summary>
    public const string Missed = "missed";

    /// <summary>Not expected (outside the area or the audience) yet received: must never happen.</summary>
    public const string Outside = "outside";

    /// <summary>Within the tolerance of a circle's edge: either answer is right.</summary>
    public const string Edge = "edge";

    /// <summary>Not expected and nothing arrived.</summary>
    public const string NotTargeted = "not-targeted";
}
