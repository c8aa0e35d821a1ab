using AlertHub.Core.Geo;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace AlertHub.Core.Targeting;

internal enum NodeClass
{
    Outside,
    Inside,
    Partial,
}

/// <summary>
/// One query shape, prepared for a tree walk: classifies lon/lat rectangles conservatively (Inside/Outside only
/// when certain) and decides single points exactly. One instance per query, so it may keep scratch state.
/// </summary>
internal abstract class ShapeMatcher
{
    public static ShapeMatcher Create(TargetShape shape) => shape switch
    {
        PolygonShape p => new PolygonMatcher(p.Geometry),
        CircleShape c => new CircleMatcher(c.Lat, c.Lon, c.RadiusMeters),
        null => throw new ArgumentNullException(nameof(shape)),
        _ => throw new ArgumentException($"Unsupported shape type {shape.GetType().Name}.", nameof(shape)),
    };

    /// <summary>Classifies the rectangle of a node at quadtree <paramref name="level"/>; called parent before child.</summary>
    public abstract NodeClass Classify(int level, double x0, double y0, double x1, double y1);

    /// <summary>Exact test; the boundary counts as inside.</summary>
    public abstract bool Contains(double x, double y);
}

internal sealed class PolygonMatcher : ShapeMatcher
{
    private readonly IndexedPointInAreaLocator _locator;
    private readonly Envelope _envelope;
    private readonly double[] _x1, _y1, _x2, _y2;

    // Segments crossing the current node at each level: a child only has to look at its parent's list,
    // so the work per node shrinks with depth and no segment tree is needed.
    private readonly int[][] _levelSegments = new int[MortonPointSet.GridBits + 1][];
    private readonly int[] _levelCounts = new int[MortonPointSet.GridBits + 1];

    public PolygonMatcher(Geometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        if (geometry is not (Polygon or MultiPolygon))
        {
            throw new ArgumentException($"Polygon shapes need a Polygon or MultiPolygon, not {geometry.GeometryType}.", nameof(geometry));
        }

        _locator = new IndexedPointInAreaLocator(geometry);
        _envelope = geometry.EnvelopeInternal;

        var segments = new List<(double, double, double, double)>();
        for (var i = 0; i < geometry.NumGeometries; i++)
        {
            var polygon = (Polygon)geometry.GetGeometryN(i);
            AddRing(polygon.ExteriorRing, segments);
            foreach (var hole in polygon.InteriorRings)
            {
                AddRing(hole, segments);
            }
        }

        var n = segments.Count;
        _x1 = new double[n];
        _y1 = new double[n];
        _x2 = new double[n];
        _y2 = new double[n];
        for (var i = 0; i < n; i++)
        {
            (_x1[i], _y1[i], _x2[i], _y2[i]) = segments[i];
        }
    }

    private static void AddRing(LineString ring, List<(double, double, double, double)> segments)
    {
        var seq = ring.CoordinateSequence;
        for (var i = 1; i < seq.Count; i++)
        {
            segments.Add((seq.GetX(i - 1), seq.GetY(i - 1), seq.GetX(i), seq.GetY(i)));
        }
    }

    public override NodeClass Classify(int level, double x0, double y0, double x1, double y1)
    {
        if (x1 < _envelope.MinX || x0 > _envelope.MaxX || y1 < _envelope.MinY || y0 > _envelope.MaxY)
        {
            _levelCounts[level] = 0;
            return NodeClass.Outside;
        }

        // Sized on demand: deep levels only ever hold the few segments near one node.
        var maxCount = level == 0 ? _x1.Length : _levelCounts[level - 1];
        var output = _levelSegments[level];
        if (output is null || output.Length < maxCount)
        {
            output = _levelSegments[level] = new int[maxCount];
        }

        var count = 0;
        if (level == 0)
        {
            for (var s = 0; s < _x1.Length; s++)
            {
                if (SegmentTouchesRect(s, x0, y0, x1, y1))
                {
                    output[count++] = s;
                }
            }
        }
        else
        {
            var input = _levelSegments[level - 1];
            var inputCount = _levelCounts[level - 1];
            for (var k = 0; k < inputCount; k++)
            {
                var s = input[k];
                if (SegmentTouchesRect(s, x0, y0, x1, y1))
                {
                    output[count++] = s;
                }
            }
        }

        _levelCounts[level] = count;
        if (count > 0)
        {
            return NodeClass.Partial;
        }

        // No edge meets the (closed) rectangle, so it lies wholly in the interior or wholly outside.
        return _locator.Locate(new Coordinate((x0 + x1) * 0.5, (y0 + y1) * 0.5)) switch
        {
            Location.Interior => NodeClass.Inside,
            Location.Exterior => NodeClass.Outside,
            _ => NodeClass.Partial,
        };
    }

    /// <summary>Conservative: may say true for a near miss (only costs a split), never false for a hit.</summary>
    private bool SegmentTouchesRect(int s, double x0, double y0, double x1, double y1)
    {
        double ax = _x1[s], ay = _y1[s], bx = _x2[s], by = _y2[s];
        if (Math.Max(ax, bx) < x0 || Math.Min(ax, bx) > x1 || Math.Max(ay, by) < y0 || Math.Min(ay, by) > y1)
        {
            return false;
        }

        // Separating axis along the segment's normal: all four corners strictly on one side means no contact.
        var dx = bx - ax;
        var dy = by - ay;
        var c1 = (dx * (y0 - ay)) - (dy * (x0 - ax));
        var c2 = (dx * (y0 - ay)) - (dy * (x1 - ax));
        var c3 = (dx * (y1 - ay)) - (dy * (x0 - ax));
        var c4 = (dx * (y1 - ay)) - (dy * (x1 - ax));
        return !((c1 > 0 && c2 > 0 && c3 > 0 && c4 > 0) || (c1 < 0 && c2 < 0 && c3 < 0 && c4 < 0));
    }

    public override bool Contains(double x, double y)
    {
        if (x < _envelope.MinX || x > _envelope.MaxX || y < _envelope.MinY || y > _envelope.MaxY)
        {
            return false;
        }

        return _locator.Locate(new Coordinate(x, y)) != Location.Exterior;
    }
}

internal sealed class CircleMatcher : ShapeMatcher
{
    private const double DegToRad = Math.PI / 180.0;

    private readonly double _lat;
    private readonly double _lon;
    private readonly double _radius;

    // Rectangles are only declared Inside/Outside with this much room, so rounding in the corner and edge
    // distances can never disagree with the per-point haversine test.
    private readonly double _margin;

    public CircleMatcher(double lat, double lon, double radiusMeters)
    {
        if (!(radiusMeters >= 0) || double.IsInfinity(radiusMeters))
        {
            throw new ArgumentOutOfRangeException(nameof(radiusMeters), radiusMeters, "Radius must be a finite, non-negative number of metres.");
        }

        if (!(lat is >= -90 and <= 90) || !(lon is >= -180 and <= 180))
        {
            throw new ArgumentOutOfRangeException(nameof(lat), $"Circle centre ({lat}, {lon}) is not a valid lat/lon.");
        }

        _lat = lat;
        _lon = lon;
        _radius = radiusMeters;
        _margin = 1e-3 + (radiusMeters * 1e-9);
    }

    public override NodeClass Classify(int level, double x0, double y0, double x1, double y1)
    {
        if (MinDistance(x0, y0, x1, y1) > _radius + _margin)
        {
            return NodeClass.Outside;
        }

        // The farthest point of a lon/lat rectangle is a corner as long as it does not straddle the centre's
        // antimeridian (distance grows monotonically with |Δlon| and is unimodal along a meridian).
        var anti = _lon >= 0 ? _lon - 180 : _lon + 180;
        if (x1 - x0 < 180 && !(anti >= x0 && anti <= x1))
        {
            var max = Math.Max(
                Math.Max(Haversine.DistanceMeters(_lat, _lon, y0, x0), Haversine.DistanceMeters(_lat, _lon, y0, x1)),
                Math.Max(Haversine.DistanceMeters(_lat, _lon, y1, x0), Haversine.DistanceMeters(_lat, _lon, y1, x1)));
            if (max <= _radius - _margin)
            {
                return NodeClass.Inside;
            }
        }

        return NodeClass.Partial;
    }

    /// <summary>A lower bound (exact when it matters) of the great-circle distance from the centre to the rectangle.</summary>
    private double MinDistance(double x0, double y0, double x1, double y1)
    {
        if (_lon >= x0 && _lon <= x1)
        {
            // Any point is at least its latitude difference away; the nearest edge point on the centre's meridian achieves it.
            var dLat = Math.Max(0, Math.Max(y0 - _lat, _lat - y1));
            return dLat * DegToRad * Haversine.EarthRadiusMeters;
        }

        var edge = Math.Abs(x0 - _lon) < Math.Abs(x1 - _lon) ? x0 : x1;
        var dLon = Math.Abs(edge - _lon) * DegToRad;
        if (dLon >= Math.PI / 2)
        {
            return 0;
        }

        // Distance grows with |Δlon|, so the nearest point is on the nearer meridian edge, at the foot of the
        // perpendicular from the centre clamped into the edge's latitude range.
        var footLat = Math.Atan(Math.Tan(_lat * DegToRad) / Math.Cos(dLon)) / DegToRad;
        var lat = Math.Clamp(footLat, y0, y1);
        return Haversine.DistanceMeters(_lat, _lon, lat, edge);
    }

    public override bool Contains(double x, double y) => Haversine.DistanceMeters(_lat, _lon, y, x) <= _radius;
}
