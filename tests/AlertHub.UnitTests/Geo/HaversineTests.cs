using AlertHub.Core.Geo;

namespace AlertHub.UnitTests.Geo;

public sealed class HaversineTests
{
    [Theory]
    [InlineData(35.681236, 139.767125, 34.702485, 135.495951, 403_058)]  // Tokyo Station – Osaka Station
    [InlineData(39.31372, 140.56661, 39.7200, 140.1025, 60_215)]         // Yokote city hall – Akita
    [InlineData(0, 0, 0, 180, 20_015_114)]                               // half the equator
    [InlineData(39.3, 140.5, 39.3, 140.5, 0)]
    public void DistanceMeters_KnownPairs_MatchesSphericalDistance(double lat1, double lon1, double lat2, double lon2, double expected)
    {
        Assert.Equal(expected, Haversine.DistanceMeters(lat1, lon1, lat2, lon2), 0);
    }

    [Fact]
    public void DistanceMeters_OneDegreeOfLatitude_IsRadiusTimesRadian()
    {
        Assert.Equal(Haversine.EarthRadiusMeters * Math.PI / 180, Haversine.DistanceMeters(39, 140, 40, 140), 6);
    }
}
