namespace AlertHub.MobileSim.Scenarios;

/// <summary>What a run does once the population is registered (<c>--scenario</c>).</summary>
internal enum ScenarioKind
{
    /// <summary>One alert for a demo flood polygon (elderly households by default on the command line).</summary>
    Flood,
    /// <summary>震度5弱 for the whole of 横手市 through the JMA feed path (VXSE53 + a quake rule).</summary>
    Quake,
    /// <summary>One alert for a circle of about 2 km around a demo landslide zone.</summary>
    Landslide,
    /// <summary>Issue, update (severity up), cancel: every targeted resident gets each version exactly once.</summary>
    UpdateCancel,
    /// <summary>100 alerts within a minute over overlapping demo areas with mixed severities.</summary>
    Storm,
    /// <summary>FCM answers 503 with Retry-After for a while in the middle of a fan-out.</summary>
    Outage,
}

internal static class ScenarioKinds
{
    public static ScenarioKind Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "flood" => ScenarioKind.Flood,
        "quake" => ScenarioKind.Quake,
        "landslide" => ScenarioKind.Landslide,
        "update-cancel" => ScenarioKind.UpdateCancel,
        "storm" => ScenarioKind.Storm,
        "outage" => ScenarioKind.Outage,
        _ => throw new ArgumentException($"--scenario wants flood, quake, landslide, update-cancel, storm or outage, got '{text}'."),
    };

    public static string Name(ScenarioKind kind) => kind switch
    {
        ScenarioKind.UpdateCancel => "update-cancel",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The audience a scenario uses when the command line names none: the flood drill is for elderly households.</summary>
    public static string DefaultAudience(ScenarioKind kind) => kind == ScenarioKind.Flood ? "elderly" : "";

    /// <summary>The channel mix when none is given: the outage needs FCM residents; others keep the SignalR/webhook split.</summary>
    public static string? DefaultMix(ScenarioKind kind) => kind == ScenarioKind.Outage ? "signalr=0.2,webhook=0.2,fcm=0.6" : null;
}
