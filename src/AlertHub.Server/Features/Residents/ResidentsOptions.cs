namespace AlertHub.Server.Features.Residents;

/// <summary>Configuration section <c>Residents</c>.</summary>
public sealed class ResidentsOptions
{
    /// <summary>Self-registrations (POST /api/residents) allowed per client address per minute. Default 20; 0 disables the limit.</summary>
    public int RegistrationsPerMinutePerClient { get; set; } = 20;

    /// <summary>How long a reported current location counts for targeting. Default 6 hours.</summary>
    public TimeSpan CurrentLocationTtl { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Most registered places per resident. Default 5.</summary>
    public int MaxPlaces { get; set; } = 5;

    /// <summary>Most channel endpoints per resident. Default 10.</summary>
    public int MaxEndpoints { get; set; } = 10;

    /// <summary>Household tags a resident may carry. Default: children, elderly, care-needed, disability-visual,
    /// disability-hearing, disability-mobility, pregnant, foreign-language.</summary>
    public List<string> HouseholdTags { get; set; } =
        ["children", "elderly", "care-needed", "disability-visual", "disability-hearing", "disability-mobility", "pregnant", "foreign-language"];

    /// <summary>Largest NDJSON body accepted by the bulk import. Default 256 MiB (100,000 rows is about 30 MB).</summary>
    public long ImportMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Longest line of the bulk import (one resident is a few hundred bytes). A longer line is skipped as it streams
    /// past, never held, and rejected as <c>residents.import_line_too_long</c>; the other lines are imported. Default 64 KiB.
    /// </summary>
    public int ImportMaxLineBytes { get; set; } = 64 * 1024;
}
