using AlertHub.Core.Feeds;

namespace AlertHub.Server.Features.Feeds;

internal static class EventAreas
{
    /// <summary>
    /// Whether a quake telegram gives intensities per city (市町村, scheme <c>jma-city</c>): its 地震細分区域 then say nothing
    /// more about any city, so neither the code table nor the rules read cities from them.
    /// </summary>
    public static bool HasCityIntensities(HazardEvent e) =>
        e.Areas.Any(a => a.Scheme == "jma-city" && a.MaxIntensity is not null);
}
