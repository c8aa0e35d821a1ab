namespace AlertHub.MobileSim.Population;

internal static class SimChannels
{
    public const string SignalR = "signalr";
    public const string Webhook = "webhook";

    public static IReadOnlyList<string> All { get; } = [SignalR, Webhook];
}

/// <summary>A registered place; coordinates are already rounded to what goes on the wire.</summary>
internal sealed record SimPlace(string Label, double Lat, double Lon);

/// <summary>One simulated resident as the sim knows it, before and after registration.</summary>
internal sealed record SimResident(
    string ExternalId,
    IReadOnlyList<string> HouseholdTags,
    string Language,
    IReadOnlyList<SimPlace> Places,
    string Channel,
    string? WebhookSecret,
    bool PlacedOutsideCity)
{
    /// <summary>5-digit municipality code of the home, when the population knows it (Akita: one per municipality).</summary>
    public string? Municipality { get; init; }

    public bool HasAnyHouseholdTag(IReadOnlyCollection<string> tags) =>
        tags.Count == 0 || HouseholdTags.Any(tags.Contains);
}
