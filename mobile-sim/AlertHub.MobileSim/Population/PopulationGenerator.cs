using AlertHub.MobileSim.DemoGeo;

namespace AlertHub.MobileSim.Population;

/// <param name="Residents">How many residents to make.</param>
/// <param name="Seed">The only source of randomness: the same seed and options give the same population.</param>
/// <param name="SignalRShare">Share of residents on SignalR (default 0.5); the rest use a webhook.</param>
/// <param name="OutsideShare">Share placed just north of the city (default 0.015) to exercise exclusion (Yokote populations only).</param>
/// <param name="ChannelMix">Channel shares (normalised), e.g. line 0.35, fcm 0.25 …; when null, <paramref name="SignalRShare"/> splits SignalR and webhook.</param>
/// <param name="Kind">Yokote (default), Akita or synthetic.</param>
/// <param name="TownsFile">Yokote: 町字 points (GeoJSON) to scatter homes around instead of the demo districts.</param>
/// <param name="MunicipalitiesFile">Akita: the municipality index CSV; synthetic clusters without it.</param>
internal sealed record PopulationOptions(
    int Residents, int Seed, double SignalRShare = 0.5, double OutsideShare = 0.015, IReadOnlyList<(string Channel, double Share)>? ChannelMix = null,
    PopulationKind Kind = PopulationKind.Yokote, string? TownsFile = null, string? MunicipalitiesFile = null);

/// <summary>
/// Makes a deterministic synthetic population. Shares follow Yokote's profile (about 40 % of households with an
/// elderly member); they are assumptions, not census data. Residents are small (shared tag arrays, place arrays)
/// so a million fit in a few hundred MB.
/// </summary>
internal static class PopulationGenerator
{
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

    /// <summary>Every tag combination once (indexed by bitmask), shared by all residents that have it.</summary>
    private static readonly string[][] TagSets = Enumerable.Range(0, 1 << HouseholdTagShares.Length)
        .Select(mask => HouseholdTagShares.Where((_, i) => (mask & (1 << i)) != 0).Select(t => t.Tag).ToArray())
        .ToArray();

    public static IReadOnlyList<SimResident> Generate(PopulationOptions options, DemoAreaSet areas)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Residents);
        var rng = new Random(options.Seed);
        var clusters = options.Kind switch
        {
            PopulationKind.Akita => ClusterSets.Akita(options.MunicipalitiesFile, rng),
            PopulationKind.Synthetic => ClusterSets.Synthetic(rng),
            _ when options.TownsFile is not null => ClusterSets.YokoteTowns(options.TownsFile, areas),
            _ => ClusterSets.YokoteDemo(areas, rng),
        };
        var outsideShare = options.Kind == PopulationKind.Yokote ? options.OutsideShare : 0;
        var digits = Math.Max(6, options.Residents.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);

        var residents = new List<SimResident>(options.Residents);
        for (var i = 1; i <= options.Residents; i++)
        {
            var externalId = "sim-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
            var outside = rng.NextDouble() < outsideShare;

            var mask = 0;
            for (var t = 0; t < HouseholdTagShares.Length; t++)
            {
                if (rng.NextDouble() < HouseholdTagShares[t].P)
                {
                    mask |= 1 << t;
                }
            }

            var tags = TagSets[mask];
            var elderly = (mask & 1) != 0;
            var children = (mask & 2) != 0;
            var language = Pick(LanguageShares, rng);
            SimPlace[] places;
            string? municipality = null;
            if (outside)
            {
                // North of lat 39.41 is 大仙市 for every longitude the city spans there.
                var home = Place("home", 39.415 + rng.NextDouble() * 0.035, 140.45 + rng.NextDouble() * 0.17);
                places = rng.NextDouble() < 0.3
                    ? [home, Place("work", 39.415 + rng.NextDouble() * 0.035, 140.45 + rng.NextDouble() * 0.17)]
                    : [home];
                municipality = "05212";
            }
            else
            {
                var homeCluster = clusters.Pick(rng);
                municipality = homeCluster.Code;
                var home = Scatter(homeCluster, homeCluster.Anchors[rng.Next(homeCluster.Anchors.Length)], homeCluster.SigmaMeters, clusters, rng);
                SimPlace? work = null, school = null;
                var worksProbability = elderly ? 0.15 : 0.6;
                if (rng.NextDouble() < worksProbability)
                {
                    // Some commuters work in the centre, where the offices are; the rest near a random cluster.
                    var workCluster = rng.NextDouble() < clusters.CentralWorkShare ? clusters.Central : clusters.Pick(rng);
                    var w = Scatter(workCluster, workCluster.Anchors[rng.Next(workCluster.Anchors.Length)], WorkSigmaMeters, clusters, rng);
                    work = Place("work", w.Lat, w.Lon);
                }

                if (children && rng.NextDouble() < 0.6)
                {
                    var s = Scatter(homeCluster, home, SchoolSigmaMeters, clusters, rng);
                    school = Place("school", s.Lat, s.Lon);
                }

                var homePlace = Place("home", home.Lat, home.Lon);
                places = (work, school) switch
                {
                    (null, null) => [homePlace],
                    (not null, null) => [homePlace, work],
                    (null, not null) => [homePlace, school],
                    _ => [homePlace, work!, school!],
                };
            }

            // One draw either way, so a mix does not reshuffle anything else about the population.
            var draw = rng.NextDouble();
            var channel = options.ChannelMix is { Count: > 0 } mix ? PickChannel(mix, draw) : draw < options.SignalRShare ? SimChannels.SignalR : SimChannels.Webhook;
            var secret = channel == SimChannels.Webhook ? WebhookSecrets.Derive(options.Seed, externalId) : null;
            residents.Add(new SimResident(externalId, tags, language, places, channel, secret, outside) { Municipality = municipality });
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

    private static (double Lat, double Lon) Scatter(
        Cluster cluster, (double Lat, double Lon) centre, double sigmaMeters, ClusterSet clusters, Random rng)
    {
        var (cx, cy) = clusters.Projection.Forward(centre.Lat, centre.Lon);
        for (var attempt = 0; attempt < MaxRedraws; attempt++)
        {
            var (gx, gy) = Gaussian(rng);
            var (lat, lon) = clusters.Projection.Inverse(cx + gx * sigmaMeters, cy + gy * sigmaMeters);
            lat = Math.Round(lat, 6);
            lon = Math.Round(lon, 6);
            if (clusters.Accepts(cluster, lat, lon))
            {
                return (lat, lon);
            }
        }

        return (Math.Round(centre.Lat, 6), Math.Round(centre.Lon, 6));
    }

    private static (double, double) Gaussian(Random rng)
    {
        // Box–Muller; 1 - NextDouble() keeps the log argument in (0, 1].
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        var r = Math.Sqrt(-2.0 * Math.Log(u1));
        return (r * Math.Cos(2 * Math.PI * u2), r * Math.Sin(2 * Math.PI * u2));
    }
}
