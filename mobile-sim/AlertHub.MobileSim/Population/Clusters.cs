using System.Globalization;
using System.Text.Json;
using AlertHub.MobileSim.DemoGeo;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace AlertHub.MobileSim.Population;

/// <summary>
/// A place people live around: homes are drawn from a Gaussian of <paramref name="SigmaMeters"/> around one of the
/// anchors; <paramref name="Code"/> is a 5-digit municipality code when the cluster is a municipality.
/// </summary>
internal sealed record Cluster(string Name, string? Code, double Weight, (double Lat, double Lon)[] Anchors, double SigmaMeters);

/// <summary>Where a population may live: its clusters, the test a drawn point must pass, and the projection to scatter in.</summary>
internal sealed class ClusterSet
{
    private readonly double[] _cumulative;

    public ClusterSet(IReadOnlyList<Cluster> clusters, Func<Cluster, double, double, bool> accepts, LocalProjection projection, int centralIndex, double centralWorkShare)
    {
        if (clusters.Count == 0)
        {
            throw new InvalidDataException("A population needs at least one cluster.");
        }

        Clusters = clusters;
        Accepts = accepts;
        Projection = projection;
        Central = clusters[centralIndex];
        CentralWorkShare = centralWorkShare;
        _cumulative = new double[clusters.Count];
        var sum = 0.0;
        for (var i = 0; i < clusters.Count; i++)
        {
            sum += Math.Max(0, clusters[i].Weight);
            _cumulative[i] = sum;
        }
    }

    public IReadOnlyList<Cluster> Clusters { get; }

    /// <summary>Whether a drawn point may stand for a resident of the cluster (inside the city, inside the municipality's bbox …).</summary>
    public Func<Cluster, double, double, bool> Accepts { get; }

    public LocalProjection Projection { get; }

    /// <summary>Where the offices are: this share of commuters work in <see cref="Central"/>.</summary>
    public Cluster Central { get; }

    public double CentralWorkShare { get; }

    /// <summary>Weighted pick by binary search, so thousands of 町字 points cost nothing per resident.</summary>
    public Cluster Pick(Random rng)
    {
        var u = rng.NextDouble() * _cumulative[^1];
        var i = Array.BinarySearch(_cumulative, u);
        i = i < 0 ? ~i : i + 1;
        return Clusters[Math.Min(i, Clusters.Count - 1)];
    }
}

/// <summary>The cluster sets of the populations (<see cref="PopulationKind"/>).</summary>
internal static class ClusterSets
{
    private const int AnchorsPerDistrict = 24;

    /// <summary>町丁目 are the dense town centres: each weighs about as much as four 小字 (rural hamlets).</summary>
    public const double ChomeWeight = 4.0, KoazaWeight = 1.0;

    public const double ChomeSigmaMeters = 120, KoazaSigmaMeters = 300, DistrictSigmaMeters = 300;

    /// <summary>The demo-district method: random anchors inside each district, weighted by the assumed district shares.</summary>
    public static ClusterSet YokoteDemo(DemoAreaSet areas, Random rng)
    {
        var shares = DemoGeoFacts.Districts.ToDictionary(d => d.DemoName, d => d.PopulationShare);
        var result = new List<Cluster>();
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
            result.Add(new Cluster(feature.Name, "05203", weight, [.. anchors], DistrictSigmaMeters));
        }

        var central = Math.Max(0, result.FindIndex(d => d.Name.StartsWith("横手", StringComparison.Ordinal)));
        return new ClusterSet(result, (_, lat, lon) => areas.CityCovers(lat, lon), LocalProjection.Yokote, central, 0.5);
    }

    /// <summary>
    /// Homes around Yokote's 町字 representative points (a GeoJSON of Points with a <c>level</c> of <c>oaza_chome</c>
    /// or <c>koaza</c>, e.g. ../shared/geo/subareas/yokote_town_points.geojson). Draws outside the demo city outline
    /// (drawn to cover every 町字 point) are redrawn.
    /// </summary>
    public static ClusterSet YokoteTowns(string path, DemoAreaSet areas)
    {
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        var clusters = new List<Cluster>();
        foreach (var f in doc.RootElement.GetProperty("features").EnumerateArray())
        {
            if (!f.TryGetProperty("geometry", out var g) || g.ValueKind != JsonValueKind.Object
                || g.GetProperty("type").GetString() != "Point")
            {
                continue;
            }

            var coords = g.GetProperty("coordinates");
            var lon = coords[0].GetDouble();
            var lat = coords[1].GetDouble();
            var props = f.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
            var level = Str(props, "level");
            var chome = level is "oaza_chome" or "chome" or "町丁目";
            var name = (Str(props, "town") ?? "") + (Str(props, "koaza") ?? "");
            clusters.Add(new Cluster(name, "05203", chome ? ChomeWeight : KoazaWeight, [(lat, lon)], chome ? ChomeSigmaMeters : KoazaSigmaMeters));
        }

        if (clusters.Count == 0)
        {
            throw new InvalidDataException($"{path} has no Point features.");
        }

        // Offices: the 町丁目 of central 横手 (the first one named like the old town centre), else the heaviest.
        var central = clusters.FindIndex(c => c.Name.StartsWith("中央町", StringComparison.Ordinal));
        return new ClusterSet(clusters, (_, la, lo) => areas.CityCovers(la, lo), LocalProjection.Yokote, Math.Max(0, central), 0.3);
    }

    /// <summary>
    /// Akita's 25 municipalities. With the index CSV (../shared/geo/akita_municipality_index.csv: lg_code_5, name,
    /// bbox_min_lon … bbox_max_lat, area_km2_approx, geolonia_town_points) each municipality is a cluster at its bbox
    /// centre, weighted by its population and kept inside its bbox; without it, 25 synthetic clusters across the
    /// prefecture's bbox.
    /// </summary>
    public static ClusterSet Akita(string? indexCsv, Random rng)
    {
        var clusters = new List<Cluster>();
        var boxes = new Dictionary<string, (double MinLat, double MinLon, double MaxLat, double MaxLon)>(StringComparer.Ordinal);
        if (indexCsv is not null)
        {
            var lines = File.ReadAllLines(indexCsv);
            var header = lines[0].Split(',');
            int Col(string name) => Array.IndexOf(header, name) is >= 0 and var i ? i : throw new InvalidDataException($"{indexCsv} has no column {name}.");
            var (code, name, minLon, minLat, maxLon, maxLat, area, points) = (Col("lg_code_5"), Col("name"), Col("bbox_min_lon"), Col("bbox_min_lat"),
                Col("bbox_max_lon"), Col("bbox_max_lat"), Col("area_km2_approx"), Col("geolonia_town_points"));
            foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
            {
                var c = line.Split(',');
                double D(int i) => double.Parse(c[i], NumberStyles.Float, CultureInfo.InvariantCulture);
                var box = (D(minLat), D(minLon), D(maxLat), D(maxLon));
                // Known populations first; otherwise the 町字 point count is the best proxy in the file (more 町字, more people).
                var weight = AkitaPopulations.TryGetValue(c[code], out var people) ? people : 250.0 * D(points);
                // Most people live in a core much smaller than the municipality: σ ≈ a quarter of the side of its area.
                var sigma = Math.Sqrt(D(area) * 1e6) / 4;
                clusters.Add(new Cluster(c[name], c[code], weight, [((box.Item1 + box.Item3) / 2, (box.Item2 + box.Item4) / 2)], sigma));
                boxes[c[code]] = box;
            }
        }
        else
        {
            // Akita prefecture's extent, roughly; codes 05901… are synthetic and say so.
            const double minLat = 38.87, maxLat = 40.51, minLon = 139.69, maxLon = 140.99;
            for (var i = 0; i < 25; i++)
            {
                var lat = minLat + 0.1 + rng.NextDouble() * (maxLat - minLat - 0.2);
                var lon = minLon + 0.1 + rng.NextDouble() * (maxLon - minLon - 0.2);
                var code = (5901 + i).ToString("00000", CultureInfo.InvariantCulture);
                // A heavy-tailed size distribution like real municipalities (one big city, many small towns).
                clusters.Add(new Cluster($"synthetic-{code}", code, 1.0 / (i + 1), [(lat, lon)], 4000));
                boxes[code] = (lat - 0.15, lon - 0.2, lat + 0.15, lon + 0.2);
            }
        }

        var heaviest = clusters.IndexOf(clusters.MaxBy(c => c.Weight)!);
        var centre = clusters.Average(c => c.Anchors[0].Lat);
        return new ClusterSet(
            clusters,
            (c, lat, lon) => boxes[c.Code!] is var b && lat >= b.MinLat && lat <= b.MaxLat && lon >= b.MinLon && lon <= b.MaxLon,
            new LocalProjection(centre, clusters.Average(c => c.Anchors[0].Lon)),
            heaviest,
            // Commuting is mostly within the municipality; only a few go to the prefecture's capital.
            0.1);
    }

    /// <summary>Uniform-ish: 64 equal clusters scattered over Yokote's bbox (so the demo areas target some of them).</summary>
    public static ClusterSet Synthetic(Random rng)
    {
        var clusters = new List<Cluster>(64);
        for (var i = 0; i < 64; i++)
        {
            var lat = DemoGeoFacts.MinLat + rng.NextDouble() * (DemoGeoFacts.MaxLat - DemoGeoFacts.MinLat);
            var lon = DemoGeoFacts.MinLon + rng.NextDouble() * (DemoGeoFacts.MaxLon - DemoGeoFacts.MinLon);
            clusters.Add(new Cluster($"cluster-{i:00}", null, 1.0, [(Math.Round(lat, 6), Math.Round(lon, 6))], 1500));
        }

        return new ClusterSet(
            clusters,
            (_, lat, lon) => lat >= DemoGeoFacts.MinLat && lat <= DemoGeoFacts.MaxLat && lon >= DemoGeoFacts.MinLon && lon <= DemoGeoFacts.MaxLon,
            LocalProjection.Yokote,
            0,
            0.2);
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    /// <summary>
    /// Approximate 2020 census populations by 5-digit code, rounded to hundreds: weights, not data to quote.
    /// </summary>
    private static readonly Dictionary<string, double> AkitaPopulations = new(StringComparer.Ordinal)
    {
        ["05201"] = 307_700, ["05202"] = 51_700, ["05203"] = 85_600, ["05204"] = 70_100, ["05206"] = 26_000,
        ["05207"] = 42_100, ["05209"] = 29_600, ["05210"] = 74_700, ["05211"] = 32_200, ["05212"] = 79_400,
        ["05213"] = 30_300, ["05214"] = 23_700, ["05215"] = 24_700, ["05303"] = 4_800, ["05327"] = 2_100,
        ["05346"] = 2_900, ["05348"] = 15_100, ["05349"] = 6_800, ["05361"] = 8_700, ["05363"] = 5_600,
        ["05366"] = 4_600, ["05368"] = 3_100, ["05434"] = 18_500, ["05463"] = 13_900, ["05464"] = 2_400,
    };
}
