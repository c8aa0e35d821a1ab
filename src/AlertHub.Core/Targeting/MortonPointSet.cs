using System.Runtime.CompilerServices;

namespace AlertHub.Core.Targeting;

/// <summary>
/// Immutable set of (lon, lat, ordinal) points sorted by a Z-order code over a 2^16 × 2^16 grid spanning the
/// points' bounding box, so every quadtree node is one contiguous range found by binary search. Doubles are
/// kept next to the codes because the grid only steers the search; membership is always decided exactly.
/// </summary>
internal sealed class MortonPointSet
{
    public const int GridBits = 16;

    public static MortonPointSet Empty { get; } = new([], [], [], [], 0, 0, 1, 1);

    private MortonPointSet(uint[] codes, double[] xs, double[] ys, int[] ordinals, double minX, double minY, double scaleX, double scaleY)
    {
        Codes = codes;
        Xs = xs;
        Ys = ys;
        Ordinals = ordinals;
        MinX = minX;
        MinY = minY;
        ScaleX = scaleX;
        ScaleY = scaleY;
    }

    public uint[] Codes { get; }

    public double[] Xs { get; }

    public double[] Ys { get; }

    public int[] Ordinals { get; }

    public double MinX { get; }

    public double MinY { get; }

    /// <summary>Grid cells per degree of longitude.</summary>
    public double ScaleX { get; }

    /// <summary>Grid cells per degree of latitude.</summary>
    public double ScaleY { get; }

    public int Count => Codes.Length;

    /// <summary>Builds a sorted set; takes ownership of (and reorders) the given arrays.</summary>
    public static MortonPointSet Build(double[] xs, double[] ys, int[] ordinals)
    {
        var n = xs.Length;
        if (n == 0)
        {
            return Empty;
        }

        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        for (var i = 0; i < n; i++)
        {
            minX = Math.Min(minX, xs[i]);
            maxX = Math.Max(maxX, xs[i]);
            minY = Math.Min(minY, ys[i]);
            maxY = Math.Max(maxY, ys[i]);
        }

        // Slightly wider than the data so the maximum lands inside the last cell rather than past it.
        var scaleX = (1 << GridBits) / (Math.Max(maxX - minX, 1e-9) * (1 + 1e-9));
        var scaleY = (1 << GridBits) / (Math.Max(maxY - minY, 1e-9) * (1 + 1e-9));

        var codes = new uint[n];
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            codes[i] = Encode(Quantise(xs[i], minX, scaleX), Quantise(ys[i], minY, scaleY));
            order[i] = i;
        }

        Array.Sort(codes, order);

        var sx = new double[n];
        var sy = new double[n];
        var so = new int[n];
        for (var i = 0; i < n; i++)
        {
            var j = order[i];
            sx[i] = xs[j];
            sy[i] = ys[j];
            so[i] = ordinals[j];
        }

        return new MortonPointSet(codes, sx, sy, so, minX, minY, scaleX, scaleY);
    }

    private static uint Quantise(double v, double min, double scale)
    {
        var q = (long)((v - min) * scale);
        return (uint)Math.Clamp(q, 0, (1 << GridBits) - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Encode(uint x, uint y) => Part1By1(x) | (Part1By1(y) << 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Part1By1(uint v)
    {
        v &= 0x0000ffff;
        v = (v | (v << 8)) & 0x00ff00ff;
        v = (v | (v << 4)) & 0x0f0f0f0f;
        v = (v | (v << 2)) & 0x33333333;
        v = (v | (v << 1)) & 0x55555555;
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Compact1By1(uint v)
    {
        v &= 0x55555555;
        v = (v | (v >> 1)) & 0x33333333;
        v = (v | (v >> 2)) & 0x0f0f0f0f;
        v = (v | (v >> 4)) & 0x00ff00ff;
        v = (v | (v >> 8)) & 0x0000ffff;
        return v;
    }

    /// <summary>First index in [lo, hi) whose code is ≥ key.</summary>
    public int LowerBound(int lo, int hi, ulong key)
    {
        var codes = Codes;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (codes[mid] < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
