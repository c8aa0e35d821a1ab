namespace AlertHub.Server.Features.Feeds;

/// <summary>Configuration section <c>Feeds</c>.</summary>
public sealed class FeedsOptions
{
    /// <summary>Largest feed document accepted (push or pull). Default 5 MB.</summary>
    public long MaxDocumentBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>Deepest XML element nesting accepted. Default 64.</summary>
    public int MaxDepth { get; set; } = 64;

    /// <summary>How much of a rejected document is kept in quarantine for staff to look at. Default 256 KiB.</summary>
    public int QuarantineKeepBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// How long an alert a rule issues stays current, per family, when the feed gives no validity of its own (CAP
    /// <c>expires</c>, JMA/L-Alert ValidDateTime win when present). A rule's <c>expiresAfter</c> overrides it.
    /// Defaults: earthquake 6 h, tsunami 24 h, weather-warning 24 h, landslide 24 h, flood 24 h, heavy-rain 6 h,
    /// tornado 1 h, evacuation 24 h, cap 24 h, default (anything else) 24 h.
    /// </summary>
    public Dictionary<string, TimeSpan> ExpiresAfter { get; set; } = new(StringComparer.Ordinal)
    {
        ["earthquake"] = TimeSpan.FromHours(6),
        ["tsunami"] = TimeSpan.FromHours(24),
        ["weather-warning"] = TimeSpan.FromHours(24),
        ["landslide"] = TimeSpan.FromHours(24),
        ["flood"] = TimeSpan.FromHours(24),
        ["heavy-rain"] = TimeSpan.FromHours(6),
        ["tornado"] = TimeSpan.FromHours(1),
        ["evacuation"] = TimeSpan.FromHours(24),
        ["cap"] = TimeSpan.FromHours(24),
        ["default"] = TimeSpan.FromHours(24),
    };
}
