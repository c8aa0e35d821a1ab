namespace AlertHub.Core.Targeting;

/// <summary>
/// One bitset per distinct value (case-insensitive) of an attribute: filters become a handful of word-wise
/// AND/OR/ANDNOT passes instead of a per-resident string comparison.
/// </summary>
internal sealed class TagFamily
{
    private readonly Dictionary<string, ulong[]> _sets = new(StringComparer.OrdinalIgnoreCase);
    private int _wordCapacity;

    public int DistinctValues => _sets.Count;

    public void EnsureWordCapacity(int words)
    {
        if (words <= _wordCapacity)
        {
            return;
        }

        _wordCapacity = words;
        foreach (var key in _sets.Keys.ToList())
        {
            var set = _sets[key];
            Array.Resize(ref set, words);
            _sets[key] = set;
        }
    }

    public void Add(int ordinal, string value)
    {
        if (!_sets.TryGetValue(value, out var set))
        {
            set = new ulong[_wordCapacity];
            _sets.Add(value, set);
        }

        Bits.Set(set, ordinal);
    }

    public void ClearOrdinal(int ordinal)
    {
        foreach (var set in _sets.Values)
        {
            Bits.Clear(set, ordinal);
        }
    }

    /// <summary>Narrows <paramref name="result"/> (first <paramref name="words"/> words) to ordinals matching the filter.</summary>
    public void Apply(TagFilter? filter, ulong[] result, int words, ulong[] scratch)
    {
        if (filter is null || filter.IsEmpty)
        {
            return;
        }

        if (filter.Any is { Count: > 0 } any)
        {
            Array.Clear(scratch, 0, words);
            foreach (var value in any)
            {
                if (value is not null && _sets.TryGetValue(value, out var set))
                {
                    for (var i = 0; i < words; i++)
                    {
                        scratch[i] |= Bits.WordOrZero(set, i);
                    }
                }
            }

            for (var i = 0; i < words; i++)
            {
                result[i] &= scratch[i];
            }
        }

        if (filter.All is { Count: > 0 } all)
        {
            foreach (var value in all)
            {
                if (value is null || !_sets.TryGetValue(value, out var set))
                {
                    Array.Clear(result, 0, words);
                    return;
                }

                for (var i = 0; i < words; i++)
                {
                    result[i] &= Bits.WordOrZero(set, i);
                }
            }
        }

        if (filter.None is { Count: > 0 } none)
        {
            foreach (var value in none)
            {
                if (value is not null && _sets.TryGetValue(value, out var set))
                {
                    for (var i = 0; i < words; i++)
                    {
                        result[i] &= ~Bits.WordOrZero(set, i);
                    }
                }
            }
        }
    }
}
