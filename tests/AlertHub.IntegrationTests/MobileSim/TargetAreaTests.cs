using AlertHub.MobileSim.DemoGeo;
using AlertHub.MobileSim.Scenarios;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>mobile-sim's own in/out decision for a 1000 m circle around city hall with a 1 m edge tolerance.</summary>
public sealed class TargetAreaTests
{
    private static readonly TargetArea Circle =
        TargetArea.ForCircle(new CircleArea(DemoGeoFacts.CityHallLat, DemoGeoFacts.CityHallLon, 1000), 1.0);

    [Fact]
    public void TargetAreaCircle_Centre_IsInside()
    {
        Assert.Equal(Placement.Inside, Circle.Locate(DemoGeoFacts.CityHallLat, DemoGeoFacts.CityHallLon));
    }

    [Fact]
    public void TargetAreaCircle_TwoKilometresNorth_IsOutside()
    {
        Assert.Equal(Placement.Outside, Circle.Locate(DemoGeoFacts.CityHallLat + 0.018, DemoGeoFacts.CityHallLon));
    }

    [Fact]
    public void TargetAreaCircle_PointEightMetresBeyondTheRadius_IsEdge()
    {
        // 0.009° of latitude ≈ 1000.8 m: outside by less than the 1 m tolerance, so neither in nor out.
        var lat = DemoGeoFacts.CityHallLat + 0.009;
        var distance = Haversine.DistanceMeters(DemoGeoFacts.CityHallLat, DemoGeoFacts.CityHallLon, lat, DemoGeoFacts.CityHallLon);

        Assert.True(Circle.Locate(lat, DemoGeoFacts.CityHallLon) == Placement.Edge, $"{distance:0.00} m from the centre should be on the edge");
    }
}
