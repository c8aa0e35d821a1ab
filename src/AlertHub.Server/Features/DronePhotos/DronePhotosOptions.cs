namespace AlertHub.Server.Features.DronePhotos;

/// <summary>Configuration section <c>DronePhotos</c>.</summary>
public sealed class DronePhotosOptions
{
    /// <summary>Largest photo accepted, in bytes. Default 40 MiB (a 48 MP DJI JPEG is about 20 MB).
    /// Larger uploads are refused before their body is read.</summary>
    public long MaxPhotoBytes { get; set; } = 40L * 1024 * 1024;

    /// <summary>Longest side of the staff thumbnail, in pixels. Default 320.</summary>
    public int ThumbnailMaxPixels { get; set; } = 320;

    /// <summary>Longest note accepted with an upload. Default 1000 characters.</summary>
    public int MaxNoteLength { get; set; } = 1000;
}
