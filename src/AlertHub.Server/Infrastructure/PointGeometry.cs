namespace AlertHub.Server.Infrastructure;

/// <summary>A GeoJSON Point; coordinates are [lon, lat].</summary>
internal sealed record PointGeometry(double[] Coordinates)
{
    public string Type => "Point";

    public static PointGeometry At(double lat, double lon) => new([lon, lat]);
}
