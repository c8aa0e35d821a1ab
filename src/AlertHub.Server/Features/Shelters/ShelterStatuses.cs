namespace AlertHub.Server.Features.Shelters;

internal static class ShelterStatuses
{
    public static readonly IReadOnlyList<string> All = ["open", "closed", "crowded", "full"];
}
