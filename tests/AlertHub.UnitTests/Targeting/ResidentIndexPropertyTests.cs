using AlertHub.Core.Targeting;
using Microsoft.Extensions.Time.Testing;
using NetTopologySuite.Geometries;
using static AlertHub.UnitTests.Targeting.TargetingTestData;

namespace AlertHub.UnitTests.Targeting;

/// <summary>Randomised comparisons against <see cref="BruteForceTargeting"/> across bulk load, delta writes and rebuilds.</summary>
public sealed class ResidentIndexPropertyTests
{
    private const double MinLon = 140.2, MaxLon = 140.9, MinLat = 39.0, MaxLat = 39.5;

    private static readonly string[] Household = ["elderly", "children", "care-needed"];
    private static readonly string[] Languages = ["ja", "en", "ja-x-easy"];
    private static readonly string[] FreeTags = ["volunteer", "farmer"];
    private static readonly string[] Channels = ["fcm", "line", "email"];

    private static readonly Polygon Star = Polygon(
        (140.55, 39.05), (140.62, 39.2), (140.8, 39.22), (140.66, 39.3), (140.72, 39.46),
        (140.55, 39.35), (140.38, 39.46), (140.44, 39.3), (140.3, 39.22), (140.48, 39.2));

    private static readonly Polygon BoxWithHole = Box(140.25, 39.05, 140.45, 39.2, Box(140.3, 39.1, 140.4, 39.15));

    private static readonly MultiPolygon TwoBoxes = Factory.CreateMultiPolygon([Box(140.6, 39.02, 140.7, 39.1), Box(140.75, 39.35, 140.88, 39.48)]);

    // Vertices of the test shapes: residents are placed exactly on them and on edge midpoints too.
    private static readonly Coordinate[] BoundaryPoints = [.. Star.Coordinates, .. BoxWithHole.Coordinates, .. TwoBoxes.Coordinates,
        new Coordinate(140.35, 39.05), new Coordinate(140.35, 39.1), new Coordinate(140.3, 39.125), new Coordinate(140.65, 39.1)];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Query_AfterBulkLoadAndManySingleUpserts_AgreesWithBruteForce(int seed)
    {
        var random = new Random(seed);
        var time = new FakeTimeProvider(Start);
        var index = new ResidentIndex(time) { MinimumRebuildThreshold = 400 };
        var reference = new BruteForceTargeting(time);

        var initial = Enumerable.Range(0, 3000).Select(i => RandomResident(random, Id(i))).ToList();
        index.BulkUpsert(initial);
        initial.ForEach(reference.Upsert);
        AssertAgrees(random, index, reference, "after bulk load");

        // 1,500 writes cross the (lowered) rebuild threshold, so both the delta and rebuilt bases get checked.
        for (var step = 0; step < 1500; step++)
        {
            var roll = random.NextDouble();
            if (roll < 0.6)
            {
                var resident = RandomResident(random, Id(random.Next(4000)));
                index.Upsert(resident);
                reference.Upsert(resident);
            }
            else if (roll < 0.75)
            {
                var id = Id(random.Next(4000));
                index.Remove(id);
                reference.Remove(id);
            }
            else
            {
                var known = reference.Residents.ElementAt(random.Next(reference.Residents.Count)).Id;
                var (lat, lon) = RandomPoint(random);
                var expires = Start.AddMinutes(random.Next(-10, 60));
                index.SetCurrentLocation(known, lat, lon, expires);
                reference.SetLive(known, lat, lon, expires);
            }

            if (step % 500 == 250)
            {
                AssertAgrees(random, index, reference, $"after {step} writes");
            }
        }

        time.Advance(TimeSpan.FromMinutes(20));
        AssertAgrees(random, index, reference, "after writes and 20 minutes");
        Assert.Equal(reference.Residents.Count, index.Count);
        Assert.True(index.RebuildCount >= 2, $"expected a rebuild after the bulk load, saw {index.RebuildCount} builds");
        Assert.True(index.DeltaCount > 0, "expected some residents still in the delta");
    }

    private static void AssertAgrees(Random random, ResidentIndex index, BruteForceTargeting reference, string when)
    {
        for (var q = 0; q < 6; q++)
        {
            var query = RandomQuery(random);
            var actual = index.Query(query);
            var expected = reference.Query(query);

            Assert.True(expected.Recipients == actual.Recipients, $"{when}, query {q}: recipients {actual.Recipients}, brute force {expected.Recipients}");
            Assert.Equal(expected.Unreachable, actual.Unreachable);
            Assert.Equal(expected.RecipientIds.Order(), actual.RecipientIds.Order());
            Assert.Equal(expected.ByArea.OrderBy(kv => kv.Key), actual.ByArea.OrderBy(kv => kv.Key));
            foreach (var (channel, count) in expected.ByChannel)
            {
                Assert.Equal(count, actual.ByChannel.TryGetValue(channel, out var c) ? c : 0);
            }
        }
    }

    private static TargetQuery RandomQuery(Random random)
    {
        var candidates = new TargetShape[]
        {
            new PolygonShape("star", "Star", Star),
            new PolygonShape("box", "Box with hole", BoxWithHole),
            new PolygonShape("multi", "Two boxes", TwoBoxes),
            new CircleShape("small", "Small circle", 39.25, 140.55, 2_000 + (random.NextDouble() * 3_000)),
            new CircleShape("large", "Large circle", 39.1, 140.3, 15_000 + (random.NextDouble() * 30_000)),
            new CircleShape("huge", "200 km", 38.5, 141.5, 200_000),
        };
        var shapes = candidates.Where(_ => random.NextDouble() < 0.4).ToArray();
        if (shapes.Length == 0)
        {
            shapes = [candidates[random.Next(candidates.Length)]];
        }

        AudienceFilter? audience = random.Next(4) switch
        {
            0 => null,
            1 => new AudienceFilter(HouseholdTags: new TagFilter(Any: Some(random, Household))),
            2 => new AudienceFilter(
                HouseholdTags: new TagFilter(None: Some(random, Household)),
                Languages: new TagFilter(Any: Some(random, Languages))),
            _ => new AudienceFilter(
                HouseholdTags: new TagFilter(All: Some(random, Household)),
                Tags: new TagFilter(Any: Some(random, FreeTags), None: Some(random, FreeTags))),
        };

        return new TargetQuery(
            shapes,
            audience,
            random.Next(3) == 0 ? Some(random, Channels) : null,
            IncludeCurrentLocations: random.Next(4) != 0,
            CollectRecipients: true);
    }

    private static ResidentProfile RandomResident(Random random, Guid id)
    {
        var places = Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomPoint(random)).ToArray();
        return Resident(
            id,
            places,
            household: Some(random, Household),
            language: random.Next(5) == 0 ? null : Languages[random.Next(Languages.Length)],
            tags: Some(random, FreeTags),
            channels: Some(random, Channels));
    }

    private static (double Lat, double Lon) RandomPoint(Random random)
    {
        if (random.Next(20) == 0)
        {
            var c = BoundaryPoints[random.Next(BoundaryPoints.Length)];
            return (c.Y, c.X);
        }

        return (MinLat + (random.NextDouble() * (MaxLat - MinLat)), MinLon + (random.NextDouble() * (MaxLon - MinLon)));
    }

    private static string[] Some(Random random, string[] values) => values.Where(_ => random.Next(3) == 0).ToArray();
}
