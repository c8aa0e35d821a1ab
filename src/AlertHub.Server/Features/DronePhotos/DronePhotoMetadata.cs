using System.Globalization;
using AlertHub.Core.Storage;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Xmp;

namespace AlertHub.Server.Features.DronePhotos;

/// <summary>What a drone photo says about itself: where, when, with what, and where the camera pointed.</summary>
internal sealed record DronePhotoMetadata(
    double? Latitude,
    double? Longitude,
    double? Altitude,
    DateTimeOffset? TakenAt,
    TakenAtZone TakenAtZone,
    string? Make,
    string? Model,
    double? RelativeAltitude,
    double? GimbalYawDegrees,
    double? GimbalPitchDegrees,
    double? FlightYawDegrees)
{
    private const string DjiNamespace = "http://www.dji.com/drone-dji/1.0/";

    // EXIF 2.31 OffsetTimeOriginal; MetadataExtractor 2.4.3 keeps the tag but has no constant for it.
    private const int TagOffsetTimeOriginal = 0x9011;

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public bool HasPosition => Latitude is not null && Longitude is not null;

    /// <summary>What the store keeps of it besides the position (which is the photo's, and staff may move it).</summary>
    public DronePhotoCapture Capture => new(TakenAt, TakenAtZone, Make, Model, Altitude, RelativeAltitude, GimbalYawDegrees, GimbalPitchDegrees,
        FlightYawDegrees);

    /// <summary>Reads EXIF and DJI XMP. A photo whose metadata cannot be parsed yields an empty result, not an error:
    /// the picture itself is still worth keeping and staff can place it by hand.</summary>
    public static DronePhotoMetadata Read(byte[] jpeg)
    {
        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            using var stream = new MemoryStream(jpeg, writable: false);
            directories = ImageMetadataReader.ReadMetadata(stream);
        }
        catch (Exception e) when (e is ImageProcessingException or IOException)
        {
            return new DronePhotoMetadata(null, null, null, null, TakenAtZone.None, null, null, null, null, null, null);
        }

        var (latitude, longitude, altitude) = ReadGps(directories);
        var (takenAt, zone) = ReadTakenAt(directories);
        var ifd0 = directories.OfType<ExifIfd0Directory>().FirstOrDefault();
        var dji = ReadDji(directories);

        // Some DJI models write the position only into XMP; use it when EXIF GPS is missing.
        if (latitude is null && dji.TryGetValue("GpsLatitude", out var xmpLat) && dji.TryGetValue("GpsLongitude", out var xmpLon)
            && Number(xmpLat) is { } lat && Number(xmpLon) is { } lon && IsValidPosition(lat, lon))
        {
            (latitude, longitude) = (lat, lon);
            altitude ??= dji.TryGetValue("AbsoluteAltitude", out var abs) ? Number(abs) : null;
        }

        return new DronePhotoMetadata(latitude, longitude, altitude, takenAt, zone,
            Clean(ifd0?.GetString(ExifDirectoryBase.TagMake)), Clean(ifd0?.GetString(ExifDirectoryBase.TagModel)),
            Get(dji, "RelativeAltitude"), Get(dji, "GimbalYawDegree"), Get(dji, "GimbalPitchDegree"), Get(dji, "FlightYawDegree"));
    }

    public static bool IsValidPosition(double lat, double lon) =>
        double.IsFinite(lat) && double.IsFinite(lon) && lat is >= -90 and <= 90 && lon is >= -180 and <= 180;

    private static (double? Lat, double? Lon, double? Altitude) ReadGps(IEnumerable<MetadataExtractor.Directory> directories)
    {
        var gps = directories.OfType<GpsDirectory>().FirstOrDefault();
        if (gps is null)
        {
            return (null, null, null);
        }

        double? altitude = null;
        if (gps.TryGetRational(GpsDirectory.TagAltitude, out var rational) && rational.Denominator != 0)
        {
            // AltitudeRef 1 means below sea level.
            var below = gps.TryGetByte(GpsDirectory.TagAltitudeRef, out var reference) && reference == 1;
            altitude = Math.Round(rational.ToDouble() * (below ? -1 : 1), 2);
        }

        var location = gps.GetGeoLocation();
        // (0, 0) is what some cameras write when they had no fix; nobody flies a drone over Null Island for the city.
        if (location is null || location.IsZero || !IsValidPosition(location.Latitude, location.Longitude))
        {
            return (null, null, altitude);
        }

        return (Math.Round(location.Latitude, 7), Math.Round(location.Longitude, 7), altitude);
    }

    private static (DateTimeOffset? At, TakenAtZone Zone) ReadTakenAt(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        var subIfd = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        if (subIfd is null || !subIfd.TryGetDateTime(ExifDirectoryBase.TagDateTimeOriginal, out var local))
        {
            return (null, TakenAtZone.None);
        }

        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        var offsetText = subIfd.GetString(TagOffsetTimeOriginal) ?? subIfd.GetString(ExifDirectoryBase.TagTimeZoneOffset);
        if (offsetText is not null && ParseOffset(offsetText) is { } offset)
        {
            return (new DateTimeOffset(local, offset), TakenAtZone.Exif);
        }

        return (new DateTimeOffset(local, Jst), TakenAtZone.AssumedJst);
    }

    internal static TimeSpan? ParseOffset(string text)
    {
        text = text.Trim();
        if (text.Length == 6 && text[0] is '+' or '-' && TimeSpan.TryParseExact(text[1..], @"hh\:mm", CultureInfo.InvariantCulture, out var span)
            && span <= TimeSpan.FromHours(14))
        {
            return text[0] == '-' ? -span : span;
        }

        // The older TimeZoneOffset tag holds whole hours.
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var hours) && hours is >= -12 and <= 14
            ? TimeSpan.FromHours(hours)
            : null;
    }

    private static Dictionary<string, string> ReadDji(IEnumerable<MetadataExtractor.Directory> directories)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var xmp in directories.OfType<XmpDirectory>())
        {
            if (xmp.XmpMeta is not { } meta)
            {
                continue;
            }

            foreach (var property in meta.Properties)
            {
                if (property.Namespace == DjiNamespace && property.Path is { } path && property.Value is { } value)
                {
                    var name = path[(path.IndexOf(':', StringComparison.Ordinal) + 1)..];
                    values.TryAdd(name, value);
                }
            }
        }

        return values;
    }

    private static double? Get(Dictionary<string, string> dji, string name) => dji.TryGetValue(name, out var text) ? Number(text) : null;

    private static double? Number(string text) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;

    private static string? Clean(string? text)
    {
        var trimmed = text?.Trim('\0', ' ');
        return string.IsNullOrEmpty(trimmed) ? null : trimmed.Length > 100 ? trimmed[..100] : trimmed;
    }
}
