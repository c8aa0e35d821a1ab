namespace AlertHub.Server.Features.Media;

/// <summary>Configuration section <c>AlertImages</c>: the public copies of pictures attached to alerts.</summary>
public sealed class AlertImagesOptions
{
    /// <summary>Longest side of the full public copy (<c>{id}.jpg</c>), in pixels. Default 1280.</summary>
    public int MaxPixels { get; set; } = 1280;

    /// <summary>Longest side of the preview copy (<c>{id}-small.jpg</c>), in pixels. Default 400.</summary>
    public int SmallMaxPixels { get; set; } = 400;

    /// <summary>Largest full copy, in bytes. Default 1 MB: FCM and LINE accept up to 1 MB for notification
    /// images and previews, and a phone on a congested network should not wait for more.</summary>
    public int MaxBytes { get; set; } = 1_000_000;

    /// <summary>Largest preview copy, in bytes. Default 200 kB.</summary>
    public int SmallMaxBytes { get; set; } = 200_000;

    /// <summary>JPEG quality the copies start from (lowered step by step when a copy is over its byte limit). Default 82.</summary>
    public int Quality { get; set; } = 82;
}
