namespace AlertHub.Core.Geo;

/// <summary>Great-circle distances on a spherical Earth.</summary>
public static class Haversine
{
    /// <summary>IUGG mean Earth radius in metres (the radius targeting circles are defined against).</summary>
    public const double EarthRadiusMeters = 6371008.8;

    private const double DegToRad = Math.PI / 180.0;

    /// <summary>Great-circle distance in metres between two WGS84 positions given in degrees.</summary>
    public static double DistanceMeters(double lat1, double lon1, double lat2, double lon2)
    {
        var dLat = (lat2 - lat1) * DegToRad;
        var dLon = (lon2 - lon1) * DegToRad;
        var sinLat = Math.Sin(dLat * 0.5);
        var sinLon = Math.Sin(dLon * 0.5);
        var a = (sinLat * sinLat) + (Math.Cos(lat1 * DegToRad) * Math.Cos(lat2 * DegToRad) * sinLon * sinLon);
        // Clamp: rounding can push a just above 1 for near-antipodal points.
        a = Math.Min(1.0, a);
        return 2.0 * EarthRadiusMeters * Math.Asin(Math.Sqrt(a));
    }
}
