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
    double? MaxMs);

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

    /// <summary>How long the hub took to answer the issuing POST: targeting plus writing the outbox.</summary>
    public double IssueRequestMs { get; init; }
    public required bool TimedOut { get; init; }

    /// <summary>The scenario that ran (flood, quake, landslide, update-cancel, storm, outage).</summary>
    public string Scenario { get; init; } = "flood";

    /// <summary>The population (yokote, akita, synthetic).</summary>
    public string Population { get; init; } = "yokote";

    /// <summary>update-cancel: one section per version; counts above are summed over them.</summary>
    public IReadOnlyList<Scenarios.VersionReport>? Versions { get; init; }

    /// <summary>storm: per alert; counts above are summed over the alerts.</summary>
    public Scenarios.StormReport? Storm { get; init; }

    /// <summary>outage: when FCM failed and how long recovery took.</summary>
    public Scenarios.OutageReport? Outage { get; init; }

    /// <summary>The run's pass/fail rule: nobody outside the area reached, nobody reached twice.</summary>
    public bool InvariantsHold => Overall.OutsideReached == 0 && Overall.Duplicates == 0;
}
