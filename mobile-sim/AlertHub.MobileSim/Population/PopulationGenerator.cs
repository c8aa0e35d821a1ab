using AlertHub.MobileSim.DemoGeo;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace AlertHub.MobileSim.Population;

/// <param name="Residents">How many residents to make.</param>
/// <param name="Seed">The only source of randomness: the same seed and options give the same population.</param>
/// <param name="SignalRShare">Share of residents on SignalR (default 0.5); the rest use a webhook.</param>
/// <param name="OutsideShare">Share placed just north of the city (default 0.015) to exercise exclusion.</param>
/// <param name="ChannelMix">Channel shares (normalised), e.g. line 0.35, fcm 0.25 …; when null, <paramref name="SignalRShare"/> splits SignalR and webhook.</param>
internal sealed record PopulationOptions(
    int Residents, int Seed, double SignalRShare = 0.5, double OutsideShare = 0.015, IReadOnlyList<(string Channel, double Share)>? ChannelMix = null);

/// <summary>
/// Makes a deterministic synthetic population over the demo districts. Shares follow Yokote's profile
/// (about 40 % of households with an elderly member); they are assumptions, not census data.
/// </summary>
internal static class PopulationGenerator
{
    private const int AnchorsPerDistrict = 24;
    private const double HomeSigmaMeters = 300;
    private const double WorkSigmaMeters = 400;
    private const double SchoolSigmaMeters = 1200;
    private const int MaxRedraws = 20;

    // Independent Bernoulli draws: a household can be both elderly and care-needed.
    private static readonly (string Tag, double P)[] HouseholdTagShares =
    [
        ("elderly", 0.40), ("children", 0.15), ("care-needed", 0.05), ("disability-visual", 0.01), ("disability-hearing", 0.01),
    ];

    private static readonly (string Language, double P)[] LanguageShares =
    [
        ("ja", 0.93), ("en", 0.03), ("ja-x-easy", 0.02), ("vi", 0.01), ("zh", 0.01),
    ];

    public static IReadOnlyList<SimResident> Generate(PopulationOptions options, DemoAreaSet areas)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Residents);
        var rng = new Random(options.Seed);
        var projection = LocalProjection.Yokote;
        var districts = BuildDistricts(areas, rng);
        var totalWeight = districts.Sum(d => d.Weight);
        var central = districts.FirstOrDefault(d => d.Name.StartsWith("横手", StringComparison.Ordinal)) ?? districts[0];
        var digits = Math.Max(6, options.Residents.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);

        var residents = new List<SimResident>(options.Residents);
        for (var i = 1; i <= options.Residents; i++)
        {
            var externalId = "sim-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
            var outside = rng.NextDouble() < options.OutsideShare;

            var tags = HouseholdTagShares.Where(t => rng.NextDouble() < t.P).Select(t => t.Tag).ToList();
            var language = Pick(LanguageShares, rng);
            var places = new List<SimPlace>(3);
            if (outside)
            {
                // North of lat 39.41 is 大仙市 for every longitude the city spans there.
                places.Add(Place("home", 39.415 + rng.NextDouble() * 0.035, 140.45 + rng.NextDouble() * 0.17));
                if (rng.NextDouble() < 0.3)
                {
                    places.Add(Place("work", 39.415 + rng.NextDouble() * 0.035, 140.45 + rng.NextDouble() * 0.17));
                }
            }
            else
            {
                var homeDistrict = PickDistrict(districts, totalWeight, rng);
                var home = Scatter(homeDistrict.Anchors[rng.Next(homeDistrict.Anchors.Count)], HomeSigmaMeters, areas, projection, rng);
                places.Add(Place("home", home.Lat, home.Lon));

                var worksProbability = tags.Contains("elderly") ? 0.15 : 0.6;
                if (rng.NextDouble() < worksProbability)
                {
                    // Half of commuters work in central 横手, where the offices are.
                    var workDistrict = rng.NextDouble() < 0.5 ? central : PickDistrict(districts, totalWeight, rng);
                    var work = Scatter(workDistrict.Anchors[rng.Next(workDistrict.Anchors.Count)], WorkSigmaMeters, areas, projection, rng);
                    places.Add(Place("work", work.Lat, work.Lon));
                }

                if (tags.Contains("children") && rng.NextDouble() < 0.6)
                {
                    var school = Scatter(home, SchoolSigmaMeters, areas, projection, rng);
                    places.Add(Place("school", school.Lat, school.Lon));
                }
            }

            // One draw either way, so a mix does not reshuffle anything else about the population.
            var draw = rng.NextDouble();
            var channel = options.ChannelMix is { Count: > 0 } mix ? PickChannel(mix, draw) : draw < options.SignalRShare ? SimChannels.SignalR : SimChannels.Webhook;
            var secret = channel == SimChannels.Webhook ? WebhookSecrets.Derive(options.Seed, externalId) : null;
            residents.Add(new SimResident(externalId, tags, language, places, channel, secret, outside));
        }

        return residents;
    }

    private static string PickChannel(IReadOnlyList<(string Channel, double Share)> mix, double draw)
    {
        var u = draw * mix.Sum(m => m.Share);
        foreach (var (channel, share) in mix)
        {
            if (u < share)
            {
                return channel;
            }

            u -= share;
        }

        return mix[^1].Channel;
    }

    /// <summary>Parses "signalr=0.2,line=0.35,fcm=0.25" into a channel mix.</summary>
    public static IReadOnlyList<(string Channel, double Share)> ParseMix(string text)
    {
        var mix = new List<(string, double)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2 || !double.TryParse(kv[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var share) || share < 0)
            {
                throw new ArgumentException($"--mix entry '{part}' is not channel=share (e.g. line=0.35).");
            }

            mix.Add((kv[0].ToLowerInvariant(), share));
        }

        if (mix.Count == 0 || mix.Sum(m => m.Item2) <= 0)
        {
            throw new ArgumentException("--mix needs at least one channel with a positive share.");
        }

        return mix;
    }

    private static SimPlace Place(string label, double lat, double lon) =>
        new(label, Math.Round(lat, 6), Math.Round(lon, 6));

    private static T Pick<T>((T Value, double P)[] shares, Random rng)
    {
        var u = rng.NextDouble();
        foreach (var (value, p) in shares)
        {
            if (u < p)
            {
                return value;
            }

            u -= p;
        }

        return shares[0].Value;
    }

    private static District PickDistrict(IReadOnlyList<District> districts, double totalWeight, Random rng)
    {
        var u = rng.NextDouble() * totalWeight;
        foreach (var d in districts)
        {
            if (u < d.Weight)
            {
                return d;
            }

            u -= d.Weight;
        }

        return districts[^1];
    }

    private static (double Lat, double Lon) Scatter(
        (double Lat, double Lon) centre, double sigmaMeters, DemoAreaSet areas, LocalProjection projection, Random rng)
    {
        var (cx, cy) = projection.Forward(centre.Lat, centre.Lon);
        for (var attempt = 0; attempt < MaxRedraws; attempt++)
        {
            var (gx, gy) = Gaussian(rng);
            var (lat, lon) = projection.Inverse(cx + gx * sigmaMeters, cy + gy * sigmaMeters);
            lat = Math.Round(lat, 6);
            lon = Math.Round(lon, 6);
            if (areas.CityCovers(lat, lon))
            {
                return (lat, lon);
            }
        }

        return centre;
    }

    private static (double, double) Gaussian(Random rng)
    {
        // Box–Muller; 1 - NextDouble() keeps the log argument in (0, 1].
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        var r = Math.Sqrt(-2.0 * Math.Log(u1));
        return (r * Math.Cos(2 * Math.PI * u2), r * Math.Sin(2 * Math.PI * u2));
    }

    private static List<District> BuildDistricts(DemoAreaSet areas, Random rng)
    {
        var shares = DemoGeoFacts.Districts.ToDictionary(d => d.DemoName, d => d.PopulationShare);
        var result = new List<District>();
        foreach (var feature in areas.Districts)
        {
            var prepared = PreparedGeometryFactory.Prepare(feature.Geometry);
            var env = feature.Geometry.EnvelopeInternal;
            var anchors = new List<(double Lat, double Lon)>(AnchorsPerDistrict);
            for (var tries = 0; anchors.Count < AnchorsPerDistrict && tries < 10_000; tries++)
            {
                var lon = env.MinX + rng.NextDouble() * env.Width;
                var lat = env.MinY + rng.NextDouble() * env.Height;
                if (prepared.Covers(SimGeoJson.Factory.CreatePoint(new Coordinate(lon, lat))))
                {
                    anchors.Add((Math.Round(lat, 6), Math.Round(lon, 6)));
                }
            }

            if (anchors.Count == 0)
            {
                var c = feature.Geometry.InteriorPoint;
                anchors.Add((c.Y, c.X));
            }

            // Districts from another file (e.g. real boundaries) get equal weight: no share is known for them.
            var weight = shares.TryGetValue(feature.Name, out var share) ? share : 1.0 / areas.Districts.Count;
            result.Add(new District(feature.Name, weight, anchors));
        }

        return result;
    }

    private sealed record District(string Name, double Weight, IReadOnlyList<(double Lat, double Lon)> Anchors);
}
