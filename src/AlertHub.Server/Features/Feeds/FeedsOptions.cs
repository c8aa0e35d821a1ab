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
}
