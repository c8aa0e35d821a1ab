using AlertHub.Core.Geo;
using AlertHub.Core.Targeting;
using Microsoft.Extensions.Time.Testing;
using static AlertHub.UnitTests.Targeting.TargetingTestData;

namespace AlertHub.UnitTests.Targeting;

public sealed class ResidentIndexTests
{
    private readonly FakeTimeProvider _time = new(Start);

    // Square lon 140.5–140.6, lat 39.2–39.3 with a hole lon 140.54–140.56, lat 39.24–39.26.
    private static readonly PolygonShape SquareWithHole = new(
        "square", "Square", Box(140.5, 39.2, 140.6, 39.3, Box(140.54, 39.24, 140.56, 39.26)));

    private static TargetQuery Area(params TargetShape[] shapes) => new(shapes, CollectRecipients: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Query_PointsOnEdgesAndVertices_CountAsInside(bool bulk)
    {
        var triangle = new PolygonShape("tri", "Triangle", Polygon((140.0, 39.0), (140.5, 39.0), (140.0, 39.5)));
        var residents = new[]
        {
            At(Id(1), 39.0, 140.25),   // bottom edge
            At(Id(2), 39.0, 140.0),    // vertex
            At(Id(3), 39.25, 140.25),  // on the hypotenuse lon + lat = 179.5
            At(Id(4), 39.5, 140.0),    // apex vertex
            At(Id(5), 39.25, 140.2500001), // just beyond the hypotenuse
            At(Id(6), 38.9999999, 140.25), // just below the bottom edge
            At(Id(7), 39.1, 140.1),    // interior
        };
        var index = Load(_time, bulk, residents);

        var result = index.Query(Area(triangle));

        Assert.Equal([Id(1), Id(2), Id(3), Id(4), Id(7)], result.RecipientIds.Order());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Query_PolygonWithHole_ExcludesHoleButKeepsHoleBoundary(bool bulk)
    {
        var index = Load(_time, bulk,
        [
            At(Id(1), 39.22, 140.52),  // in the shell
            At(Id(2), 39.25, 140.55),  // in the hole
            At(Id(3), 39.24, 140.55),  // on the hole's edge: the polygon's boundary
            At(Id(4), 39.35, 140.55),  // outside
        ]);

        var result = index.Query(Area(SquareWithHole));

        Assert.Equal([Id(1), Id(3)], result.RecipientIds.Order());
        Assert.Equal(2, result.Recipients);
    }

    [Fact]
    public void Query_MultiPolygon_CoversEveryPart()
    {
        var multi = Factory.CreateMultiPolygon([Box(140.0, 39.0, 140.1, 39.1), Box(140.5, 39.5, 140.6, 39.6)]);
        var index = Load(_time, true,
        [
            At(Id(1), 39.05, 140.05),
            At(Id(2), 39.55, 140.55),
            At(Id(3), 39.3, 140.3),
        ]);

        var result = index.Query(Area(new PolygonShape("multi", "Two boxes", multi)));

        Assert.Equal([Id(1), Id(2)], result.RecipientIds.Order());
    }

    [Fact]
    public void Query_SmallCircle_MatchesHaversineAroundCityHall()
    {
        var index = Load(_time, true,
        [
            At(Id(1), 39.31372, 140.56661),          // centre
            At(Id(2), 39.31372 + 0.0040, 140.56661), // ≈ 445 m north
            At(Id(3), 39.31372 + 0.0050, 140.56661), // ≈ 556 m north
            At(Id(4), 39.31372, 140.56661 + 0.0055), // ≈ 473 m east
        ]);

        var result = index.Query(Area(new CircleShape("c", "500 m", 39.31372, 140.56661, 500)));

        Assert.Equal([Id(1), Id(2), Id(4)], result.RecipientIds.Order());
    }

    [Fact]
    public void Query_LargeCircle150Km_MatchesHaversineOnCityPairs()
    {
        var cities = new (string Name, double Lat, double Lon)[]
        {
            ("Akita", 39.7200, 140.1025),      // ≈ 60 km
            ("Morioka", 39.7020, 141.1545),    // ≈ 66 km
            ("Sendai", 38.2682, 140.8694),     // ≈ 119 km
            ("Yamagata", 38.2554, 140.3396),   // ≈ 119 km
            ("Hirosaki", 40.6031, 140.4642),   // ≈ 144 km
            ("Aomori", 40.8244, 140.7400),     // ≈ 169 km
            ("Fukushima", 37.7608, 140.4747),  // ≈ 173 km
            ("Niigata", 37.9162, 139.0364),    // ≈ 205 km
            ("Tokyo", 35.6812, 139.7671),      // ≈ 410 km
        };
        var index = Load(_time, true, cities.Select((c, i) => At(Id(i), c.Lat, c.Lon)));

        var result = index.Query(Area(new CircleShape("c", "150 km", 39.31372, 140.56661, 150_000)));

        var expected = cities.Select((c, i) => (c, i))
            .Where(x => Haversine.DistanceMeters(39.31372, 140.56661, x.c.Lat, x.c.Lon) <= 150_000)
            .Select(x => Id(x.i));
        Assert.Equal(expected.Order(), result.RecipientIds.Order());
        Assert.Equal(5, result.Recipients);
    }

    [Fact]
    public void Query_PointExactlyOnCircleBoundary_CountsAsInside()
    {
        var index = Load(_time, true, [At(Id(1), 39.40, 140.70), At(Id(2), 39.2, 140.4)]);
        var distance = Haversine.DistanceMeters(39.31372, 140.56661, 39.40, 140.70);

        var onBoundary = index.Query(Area(new CircleShape("c", "exact", 39.31372, 140.56661, distance)));
        var justShort = index.Query(Area(new CircleShape("c", "short", 39.31372, 140.56661, Math.BitDecrement(distance))));

        Assert.Equal([Id(1)], onBoundary.RecipientIds.Where(id => id == Id(1)));
        Assert.DoesNotContain(Id(1), justShort.RecipientIds);
    }

    [Fact]
    public void Query_ResidentWithSeveralPlacesInside_CountsOnce()
    {
        var index = Load(_time, true,
        [
            Resident(Id(1), [(39.21, 140.51), (39.22, 140.52), (39.23, 140.53), (39.5, 141.0)], channels: ["fcm", "line"]),
        ]);

        var result = index.Query(Area(SquareWithHole, new PolygonShape("square2", "Same square again", SquareWithHole.Geometry)));

        Assert.Equal(1, result.Recipients);
        Assert.Equal([Id(1)], result.RecipientIds);
        Assert.Equal(1, result.ByChannel["fcm"]);
        Assert.Equal(1, result.ByChannel["line"]);
        Assert.Equal(1, result.ByArea["square"]);
        Assert.Equal(1, result.ByArea["square2"]);
    }

    [Fact]
    public void Query_CurrentLocation_CountsUntilExpiryAndOnlyWhenIncluded()
    {
        var index = Load(_time, true, [At(Id(1), 35.0, 135.0), At(Id(2), 35.0, 135.0)]);
        index.SetCurrentLocation(Id(1), 39.22, 140.52, Start.AddMinutes(30));

        var live = index.Query(Area(SquareWithHole));
        var ignored = index.Query(Area(SquareWithHole) with { IncludeCurrentLocations = false });
        _time.Advance(TimeSpan.FromMinutes(30));
        var expired = index.Query(Area(SquareWithHole));

        Assert.Equal([Id(1)], live.RecipientIds);
        Assert.Equal(0, ignored.Recipients);
        Assert.Equal(0, expired.Recipients);
    }

    [Fact]
    public void ClearCurrentLocation_StopsCounting()
    {
        var index = Load(_time, true, [At(Id(1), 35.0, 135.0)]);
        index.SetCurrentLocation(Id(1), 39.22, 140.52, Start.AddHours(1));

        index.ClearCurrentLocation(Id(1));

        Assert.Equal(0, index.Query(Area(SquareWithHole)).Recipients);
    }

    [Fact]
    public void SetCurrentLocation_UnknownResident_Throws()
    {
        var index = new ResidentIndex(_time);

        Assert.Throws<KeyNotFoundException>(() => index.SetCurrentLocation(Id(9), 39.2, 140.5, Start.AddHours(1)));
    }

    public static TheoryData<AudienceFilter, int[]> AudienceCases => new()
    {
        { new AudienceFilter(HouseholdTags: new TagFilter(Any: ["elderly", "children"])), [1, 2, 3] },
        { new AudienceFilter(HouseholdTags: new TagFilter(All: ["ELDERLY", "care-needed"])), [3] },
        { new AudienceFilter(HouseholdTags: new TagFilter(None: ["elderly"])), [2, 4, 5] },
        { new AudienceFilter(HouseholdTags: new TagFilter(Any: ["elderly"], None: ["care-needed"])), [1] },
        { new AudienceFilter(HouseholdTags: new TagFilter(All: ["elderly", "unknown-tag"])), [] },
        { new AudienceFilter(Languages: new TagFilter(Any: ["en", "JA-X-EASY"])), [2, 4] },
        { new AudienceFilter(Languages: new TagFilter(All: ["ja"])), [1, 3] },
        { new AudienceFilter(Languages: new TagFilter(All: ["ja", "en"])), [] },
        { new AudienceFilter(Languages: new TagFilter(None: ["ja"])), [2, 4, 5] },
        { new AudienceFilter(Tags: new TagFilter(Any: ["volunteer"])), [2, 5] },
        { new AudienceFilter(HouseholdTags: new TagFilter(Any: ["children"]), Languages: new TagFilter(None: ["ja"]), Tags: new TagFilter(All: ["volunteer"])), [2] },
        { new AudienceFilter(new TagFilter(), new TagFilter([], [], []), null), [1, 2, 3, 4, 5] },
        { AudienceFilter.Everyone, [1, 2, 3, 4, 5] },
    };

    [Theory]
    [MemberData(nameof(AudienceCases))]
    public void Query_AudienceFilter_MatchesTagSemantics(AudienceFilter audience, int[] expected)
    {
        var index = Load(_time, true,
        [
            Resident(Id(1), [(39.21, 140.51)], household: ["elderly"], language: "ja"),
            Resident(Id(2), [(39.21, 140.51)], household: ["Children"], language: "en", tags: ["Volunteer"]),
            Resident(Id(3), [(39.21, 140.51)], household: ["elderly", "care-needed", "children"], language: "JA"),
            Resident(Id(4), [(39.21, 140.51)], language: "ja-x-easy"),
            Resident(Id(5), [(39.21, 140.51)], language: null, tags: ["volunteer"]),
            Resident(Id(6), [(39.5, 141.5)], household: ["elderly", "children"], language: "ja"), // outside
        ]);

        var result = index.Query(Area(SquareWithHole) with { Audience = audience });

        Assert.Equal(expected.Select(Id).Order(), result.RecipientIds.Order());
    }

    [Fact]
    public void Query_ChannelRestriction_CountsByChannelAndUnreachable()
    {
        var index = Load(_time, true,
        [
            Resident(Id(1), [(39.21, 140.51)], channels: ["fcm", "line"]),
            Resident(Id(2), [(39.21, 140.51)], channels: ["email"]),
            Resident(Id(3), [(39.21, 140.51)], channels: []),
            Resident(Id(4), [(39.21, 140.51)], channels: ["LINE"]),
        ]);

        var all = index.Query(Area(SquareWithHole));
        var lineOnly = index.Query(Area(SquareWithHole) with { Channels = ["line", "sms"] });

        Assert.Equal(3, all.Recipients);
        Assert.Equal(1, all.Unreachable);
        Assert.Equal(1, all.ByChannel["fcm"]);
        Assert.Equal(2, all.ByChannel["line"]);
        Assert.Equal(1, all.ByChannel["email"]);
        Assert.Equal(2, lineOnly.Recipients);
        Assert.Equal(2, lineOnly.Unreachable);
        Assert.Equal([Id(1), Id(4)], lineOnly.RecipientIds.Order());
        Assert.Equal(2, lineOnly.ByChannel["line"]);
        Assert.Equal(0, lineOnly.ByChannel["sms"]);
        Assert.False(lineOnly.ByChannel.ContainsKey("fcm"));
        Assert.Equal(2, lineOnly.ByArea["square"]);
    }

    [Fact]
    public void Query_OverlappingShapes_CountEachResidentOncePerKey()
    {
        var west = new PolygonShape("west", "West", Box(140.0, 39.0, 140.6, 40.0));
        var east = new PolygonShape("east", "East", Box(140.4, 39.0, 141.0, 40.0));
        var circle = new CircleShape("east", "East, extra circle", 39.5, 140.9, 1_000);
        var index = Load(_time, true,
        [
            At(Id(1), 39.5, 140.2),  // west only
            At(Id(2), 39.5, 140.5),  // both
            At(Id(3), 39.5, 140.9),  // east box and the east circle
            At(Id(4), 39.5, 140.5, channels: []), // both, unreachable
        ]);

        var result = index.Query(Area(west, east, circle));

        Assert.Equal(3, result.Recipients);
        Assert.Equal(1, result.Unreachable);
        Assert.Equal(2, result.ByArea["west"]);
        Assert.Equal(2, result.ByArea["east"]);
    }

    [Fact]
    public void Query_WithoutCollectRecipients_ReturnsCountsOnly()
    {
        var index = Load(_time, true, [At(Id(1), 39.21, 140.51)]);

        var result = index.Query(new TargetQuery([SquareWithHole]));

        Assert.Equal(1, result.Recipients);
        Assert.Empty(result.RecipientIds);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Upsert_ExistingResident_ReplacesPlacesTagsAndChannels(bool bulk)
    {
        var index = Load(_time, bulk, [Resident(Id(1), [(39.21, 140.51)], household: ["elderly"], channels: ["fcm"])]);

        index.Upsert(Resident(Id(1), [(39.5, 141.5), (39.29, 140.59)], household: ["children"], channels: ["line"]));
        var result = index.Query(Area(new PolygonShape("ne", "North-east corner", Box(140.58, 39.28, 140.6, 39.3))));
        var elderly = index.Query(Area(SquareWithHole) with { Audience = new AudienceFilter(new TagFilter(Any: ["elderly"])) });
        var oldPlace = index.Query(Area(new PolygonShape("sw", "South-west corner", Box(140.5, 39.2, 140.52, 39.22))));

        Assert.Equal(1, index.Count);
        Assert.Equal([Id(1)], result.RecipientIds);
        Assert.Equal(1, result.ByChannel["line"]);
        Assert.Equal(0, result.ByChannel["fcm"]);
        Assert.Equal(0, elderly.Recipients);
        Assert.Equal(0, oldPlace.Recipients + oldPlace.Unreachable);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Remove_Resident_DisappearsFromQueriesAndCount(bool bulk)
    {
        var index = Load(_time, bulk, [At(Id(1), 39.21, 140.51), At(Id(2), 39.22, 140.52)]);
        index.SetCurrentLocation(Id(1), 39.23, 140.53, Start.AddHours(1));

        var removed = index.Remove(Id(1));
        var again = index.Remove(Id(1));
        index.Upsert(At(Id(3), 39.5, 141.5)); // may reuse the freed slot; must not inherit Id(1)'s places
        var result = index.Query(Area(SquareWithHole));

        Assert.True(removed);
        Assert.False(again);
        Assert.Equal(2, index.Count);
        Assert.Equal([Id(2)], result.RecipientIds);
    }

    [Fact]
    public void BulkUpsert_DuplicateIdInBatch_LastOneWins()
    {
        var index = new ResidentIndex(_time);

        index.BulkUpsert([At(Id(1), 39.21, 140.51), At(Id(2), 39.5, 141.5), At(Id(1), 39.5, 141.5)]);

        Assert.Equal(2, index.Count);
        Assert.Equal(0, index.Query(Area(SquareWithHole)).Recipients);
    }

    [Fact]
    public void Upsert_MoreThanFivePlaces_Throws()
    {
        var index = new ResidentIndex(_time);
        var places = Enumerable.Range(0, 6).Select(i => (39.2 + (i * 0.01), 140.5));

        Assert.Throws<ArgumentException>(() => index.Upsert(Resident(Id(1), places)));
    }

    [Fact]
    public void Query_EmptyIndexOrNoShapes_ReturnsZero()
    {
        var index = new ResidentIndex(_time);

        var empty = index.Query(Area(SquareWithHole));
        index.Upsert(At(Id(1), 39.21, 140.51));
        var noShapes = index.Query(new TargetQuery([]));

        Assert.Equal(0, empty.Recipients);
        Assert.Equal(0, empty.ByArea["square"]);
        Assert.Equal(0, noShapes.Recipients + noShapes.Unreachable);
    }
}
