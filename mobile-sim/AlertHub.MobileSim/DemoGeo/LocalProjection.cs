using NetTopologySuite.Geometries;

namespace AlertHub.MobileSim.DemoGeo;

/// <summary>
/// Equirectangular projection around one origin. Over a city the size of Yokote (~50 km) the scale error is
/// well under 1 %, which is plenty for synthetic buffers and Gaussian offsets; it avoids pulling in ProjNet.
/// </summary>
internal sealed class LocalProjection(double originLat, double originLon)
{
    public const double EarthRadiusMeters = 6_371_008.8;
    private const double MetersPerRadian = EarthRadiusMeters;

    private readonly double _cosLat = Math.Cos(originLat * Math.PI / 180.0);

    public static LocalProjection Yokote { get; } = new(39.25, 140.52);

    public double OriginLat { get; } = originLat;
    public double OriginLon { get; } = originLon;

    public (double X, double Y) Forward(double lat, double lon) =>
        ((lon - OriginLon) * Math.PI / 180.0 * MetersPerRadian * _cosLat,
         (lat - OriginLat) * Math.PI / 180.0 * MetersPerRadian);

    public (double Lat, double Lon) Inverse(double x, double y) =>
        (OriginLat + y / MetersPerRadian * 180.0 / Math.PI,
         OriginLon + x / (MetersPerRadian * _cosLat) * 180.0 / Math.PI);

    /// <summary>Projects a lon/lat geometry (x = lon, y = lat) to metres.</summary>
    public Geometry ToMeters(Geometry lonLat) => Transform(lonLat, (x, y) =>
    {
        var (px, py) = Forward(y, x);
        return (px, py);
    });

    /// <summary>Back from metres to lon/lat (x = lon, y = lat).</summary>
    public Geometry ToLonLat(Geometry meters) => Transform(meters, (x, y) =>
    {
        var (lat, lon) = Inverse(x, y);
        return (lon, lat);
    });

    private static Geometry Transform(Geometry source, Func<double, double, (double X, double Y)> map)
    {
        var copy = source.Copy();
        copy.Apply(new MapFilter(map));
        copy.GeometryChanged();
        return copy;
    }

    private sealed class MapFilter(Func<double, double, (double X, double Y)> map) : ICoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var (x, y) = map(seq.GetX(i), seq.GetY(i));
            seq.SetX(i, x);
            seq.SetY(i, y);
        }
    }
}

/// <summary>Great-circle distance on the sphere, as the hub's circle targeting defines "inside".</summary>
internal static class Haversine
{
    public static double DistanceMeters(double lat1, double lon1, double lat2, double lon2)
    {
        const double toRad = Math.PI / 180.0;
        var dLat = (lat2 - lat1) * toRad;
        var dLon = (lon2 - lon1) * toRad;
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
            + Math.Cos(lat1 * toRad) * Math.Cos(lat2 * toRad) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * LocalProjection.EarthRadiusMeters * Math.Asin(Math.Min(1.0, Math.Sqrt(a)));
    }
}
