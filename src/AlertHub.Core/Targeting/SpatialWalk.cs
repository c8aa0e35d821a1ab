namespace AlertHub.Core.Targeting;

/// <summary>Quadtree walk over a <see cref="MortonPointSet"/> that marks eligible ordinals inside one shape.</summary>
internal static class SpatialWalk
{
    /// <summary>Nodes with this many points or fewer are tested point by point instead of split further.</summary>
    internal const int LeafSize = 24;

    // Node rectangles are widened by this many degrees (≈0.1 mm) so a point rounded into a neighbouring grid
    // cell is still inside the rectangle its node is classified by.
    private const double Epsilon = 1e-9;

    /// <summary>Sets bit <c>o</c> in <paramref name="target"/> for each point (ordinal o) inside the shape whose bit is set in <paramref name="eligible"/>.</summary>
    public static void Collect(MortonPointSet set, ShapeMatcher matcher, ulong[] eligible, ulong[] target)
    {
        if (set.Count > 0)
        {
            Walk(set, matcher, eligible, target, 0, 0, 0, set.Count);
        }
    }

    private static void Walk(MortonPointSet set, ShapeMatcher matcher, ulong[] eligible, ulong[] target, int level, uint prefix, int lo, int hi)
    {
        var shift = MortonPointSet.GridBits - level;
        var gx = MortonPointSet.Compact1By1(prefix) << shift;
        var gy = MortonPointSet.Compact1By1(prefix >> 1) << shift;
        var size = 1u << shift;
        var x0 = set.MinX + (gx / set.ScaleX) - Epsilon;
        var x1 = set.MinX + ((gx + size) / set.ScaleX) + Epsilon;
        var y0 = set.MinY + (gy / set.ScaleY) - Epsilon;
        var y1 = set.MinY + ((gy + size) / set.ScaleY) + Epsilon;

        switch (matcher.Classify(level, x0, y0, x1, y1))
        {
            case NodeClass.Outside:
                return;
            case NodeClass.Inside:
                TakeAll(set.Ordinals, lo, hi, eligible, target);
                return;
        }

        if (hi - lo <= LeafSize || level == MortonPointSet.GridBits)
        {
            TestEach(set, matcher, lo, hi, eligible, target);
            return;
        }

        var childLevel = level + 1;
        var childShift = 2 * (MortonPointSet.GridBits - childLevel);
        var start = lo;
        for (uint k = 0; k < 4; k++)
        {
            var childPrefix = (prefix << 2) | k;
            var end = k == 3 ? hi : set.LowerBound(start, hi, ((ulong)childPrefix + 1) << childShift);
            if (end > start)
            {
                Walk(set, matcher, eligible, target, childLevel, childPrefix, start, end);
            }

            start = end;
        }
    }

    private static void TakeAll(int[] ordinals, int lo, int hi, ulong[] eligible, ulong[] target)
    {
        for (var i = lo; i < hi; i++)
        {
            var o = ordinals[i];
            var w = o >> 6;
            target[w] |= eligible[w] & (1UL << o);
        }
    }

    private static void TestEach(MortonPointSet set, ShapeMatcher matcher, int lo, int hi, ulong[] eligible, ulong[] target)
    {
        var ordinals = set.Ordinals;
        for (var i = lo; i < hi; i++)
        {
            var o = ordinals[i];
            var w = o >> 6;
            var bit = 1UL << o;
            // Skip the exact test for residents filtered out or already found through another place.
            if ((eligible[w] & ~target[w] & bit) != 0 && matcher.Contains(set.Xs[i], set.Ys[i]))
            {
                target[w] |= bit;
            }
        }
    }
}
