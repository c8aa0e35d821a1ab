using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AlertHub.Core.Geo;
using AlertHub.Core.Storage;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace AlertHub.Server.Features.Places;

/// <summary>A town point or district a resident's search found.</summary>
internal sealed record PlaceMatch(string Name, string Kind, string? District, double Lat, double Lon);

/// <summary>The town point nearest a position, and how far it is.</summary>
internal sealed record NearbyTown(string Name, string Town, string? District, double Lat, double Lon, double DistanceMeters);

/// <summary>
/// The 町字 points imported at run time (e.g. Geolonia 住所データ from 国土交通省 位置参照情報): the resident page's name
/// search puts a place on the real point, and drawn areas are named after the towns they cover. A city has a few
/// thousand, so all are kept in memory; <see cref="ITownPointStore"/> holds the durable copy. An import replaces the whole set.
/// </summary>
internal sealed class TownPointStore(ITownPointStore store)
{
    private volatile Snapshot _snapshot = Snapshot.Empty;

    public int Count => _snapshot.Points.Length;

    public TownPointSet? Set => _snapshot.Set;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var (points, set) = await store.LoadAsync(cancellationToken);
        _snapshot = new Snapshot(points, set);
    }

    /// <summary>Replaces every point in one transaction; readers see the old set or the new one, never a mix.</summary>
    public async Task ReplaceAsync(IReadOnlyList<TownPoint> points, TownPointSet set, CancellationToken cancellationToken)
    {
        await store.ReplaceAsync(points, set, cancellationToken);
        _snapshot = new Snapshot(points, points.Count > 0 ? set with { Count = points.Count } : null);
    }

    /// <summary>
    /// Points whose name holds every word of <paramref name="query"/> (width, 大字/字 and spaces ignored), best first:
    /// the 大字・町丁目 itself, then names that start with the query, then the rest; shorter names first within each.
    /// </summary>
    public IReadOnlyList<(TownPoint Point, int Rank)> Search(string query, int limit)
    {
        var words = SearchKey.Words(query);
        if (words.Length == 0)
        {
            return [];
        }

        var whole = string.Concat(words);
        var snapshot = _snapshot;
        var found = new List<(TownPoint Point, int Rank)>();
        for (var i = 0; i < snapshot.Points.Length; i++)
        {
            var key = snapshot.Keys[i];
            if (!words.All(w => key.Contains(w, StringComparison.Ordinal)))
            {
                continue;
            }

            var point = snapshot.Points[i];
            var townKey = snapshot.TownKeys[i];
            var rank = townKey == whole && point.Koaza.Length == 0 ? 0
                : key == whole ? 1
                : key.StartsWith(whole, StringComparison.Ordinal) ? 2
                : 3;
            found.Add((point, rank * 2 + (point.Koaza.Length == 0 ? 0 : 1)));
        }

        return [.. found.OrderBy(f => f.Rank).ThenBy(f => f.Point.Name.Length).ThenBy(f => f.Point.Name, StringComparer.Ordinal).Take(limit)];
    }

    /// <summary>The nearest point within <paramref name="maxMeters"/>, or null.</summary>
    public NearbyTown? Nearest(double lat, double lon, double maxMeters)
    {
        var snapshot = _snapshot;
        TownPoint? best = null;
        var bestDistance = double.MaxValue;
        // A degree of latitude is ~111 km: a cheap box first, the great-circle distance only for points inside it.
        var dLat = maxMeters / 111_000.0;
        var dLon = dLat / Math.Max(0.1, Math.Cos(lat * Math.PI / 180));
        foreach (var p in snapshot.Points)
        {
            if (Math.Abs(p.Lat - lat) > dLat || Math.Abs(p.Lon - lon) > dLon)
            {
                continue;
            }

            var d = Haversine.DistanceMeters(lat, lon, p.Lat, p.Lon);
            if (d < bestDistance)
            {
                (best, bestDistance) = (p, d);
            }
        }

        return best is null || bestDistance > maxMeters ? null : new NearbyTown(best.Name, best.Town, best.District, best.Lat, best.Lon, bestDistance);
    }

    /// <summary>The distinct 大字・町丁目 names with a point inside <paramref name="geometry"/>, nearest its centre first.</summary>
    public IReadOnlyList<string> TownsWithin(Geometry geometry)
    {
        var snapshot = _snapshot;
        if (snapshot.Points.Length == 0 || geometry.IsEmpty)
        {
            return [];
        }

        var envelope = geometry.EnvelopeInternal;
        var prepared = PreparedGeometryFactory.Prepare(geometry);
        var centre = geometry.Centroid;
        var nearest = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var p in snapshot.Points)
        {
            if (!envelope.Contains(p.Lon, p.Lat) || !prepared.Covers(geometry.Factory.CreatePoint(new Coordinate(p.Lon, p.Lat))))
            {
                continue;
            }

            var d = Haversine.DistanceMeters(centre.Y, centre.X, p.Lat, p.Lon);
            if (!nearest.TryGetValue(p.Town, out var known) || d < known)
            {
                nearest[p.Town] = d;
            }
        }

        return [.. nearest.OrderBy(kv => kv.Value).Select(kv => kv.Key)];
    }

    /// <summary>The distinct 大字・町丁目 names with a point within <paramref name="radiusMeters"/> of a centre, nearest first.</summary>
    public IReadOnlyList<string> TownsAround(double lat, double lon, double radiusMeters)
    {
        var nearest = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var p in _snapshot.Points)
        {
            var d = Haversine.DistanceMeters(lat, lon, p.Lat, p.Lon);
            if (d <= radiusMeters && (!nearest.TryGetValue(p.Town, out var known) || d < known))
            {
                nearest[p.Town] = d;
            }
        }

        return [.. nearest.OrderBy(kv => kv.Value).Select(kv => kv.Key)];
    }

    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = new([], null);

        public Snapshot(IReadOnlyList<TownPoint> points, TownPointSet? set)
        {
            Points = [.. points];
            Keys = [.. points.Select(p => SearchKey.Of(p.Town + p.Koaza))];
            TownKeys = [.. points.Select(p => SearchKey.Of(p.Town))];
            Set = set;
        }

        public TownPoint[] Points { get; }

        public string[] Keys { get; }

        public string[] TownKeys { get; }

        public TownPointSet? Set { get; }
    }
}

/// <summary>What names are compared by: NFKC (full-width digits and letters fold), no spaces or 中黒, no 大字/字, no city prefix.</summary>
internal static partial class SearchKey
{
    private static readonly string[] Prefixes = ["秋田県", "横手市"];

    public static string Of(string text)
    {
        var normal = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var builder = new StringBuilder(normal.Length);
        foreach (var c in normal)
        {
            if (!char.IsWhiteSpace(c) && c is not ('・' or '･' or '-' or 'ー' or '－'))
            {
                builder.Append(c);
            }
        }

        var key = builder.ToString();
        foreach (var prefix in Prefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.Length > prefix.Length)
            {
                key = key[prefix.Length..];
            }
        }

        key = key.Replace("大字", "", StringComparison.Ordinal).Replace("字", "", StringComparison.Ordinal);
        // 「旭川一丁目」 and 「旭川1丁目」 (「西原一番町」, 「西原1番町」) are the same place, whichever a resident types.
        return Chome().Replace(key, m => KanjiNumber(m.Groups[1].Value).ToString(CultureInfo.InvariantCulture) + m.Groups[2].Value);
    }

    private static int KanjiNumber(string kanji)
    {
        const string digits = "〇一二三四五六七八九";
        var total = 0;
        var current = 0;
        foreach (var c in kanji)
        {
            if (c == '十')
            {
                total += Math.Max(current, 1) * 10;
                current = 0;
            }
            else
            {
                current = current * 10 + digits.IndexOf(c, StringComparison.Ordinal);
            }
        }

        return total + current;
    }

    [GeneratedRegex("([〇一二三四五六七八九十]+)(丁目|番町)")]
    private static partial Regex Chome();

    /// <summary>The query's words (split on spaces, ideographic ones included), each reduced like <see cref="Of"/>.</summary>
    public static string[] Words(string query) =>
        [.. query.Normalize(NormalizationForm.FormKC).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(Of).Where(w => w.Length > 0)];
}
