using System.Buffers;
using System.Numerics;

namespace AlertHub.Core.Targeting;

/// <summary>
/// In-memory spatial and attribute index over every resident's places and live locations.
/// Thread-safe: many concurrent queries, writes serialised. Exact: every point near a shape boundary
/// is tested exactly (boundary counts as inside).
/// </summary>
/// <remarks>
/// Residents get a dense ordinal; attributes are bitsets over ordinals and places live in a Z-order sorted
/// point array (<see cref="MortonPointSet"/>). Single writes after a bulk load go to a small delta that
/// queries scan linearly; the sorted array is rebuilt (under the write lock) once the delta passes
/// <see cref="RebuildThreshold"/> residents. At most 64 distinct channel names are supported.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The index lives as long as the process; the lock holds no unmanaged resources until contended waits, which end with the process.")]
public sealed class ResidentIndex
{
    /// <summary>Maximum number of registered places per resident.</summary>
    public const int MaxPlaces = 5;

    private const int MaxChannels = 64;

    private readonly TimeProvider _timeProvider;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<Guid, int> _ordinals = [];
    private readonly Stack<int> _freeOrdinals = new();
    private readonly TagFamily _householdTags = new();
    private readonly TagFamily _languages = new();
    private readonly TagFamily _tags = new();
    private readonly Dictionary<string, int> _channelIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _channelNames = [];
    private readonly Dictionary<int, GeoPoint[]> _delta = [];
    private readonly Dictionary<int, LiveLocation> _live = [];

    private Guid[] _ids = [];
    private ulong[] _channelMasks = [];
    private ulong[] _alive = [];
    private ulong[] _staleBase = [];
    private int _ordinalCount;
    private MortonPointSet _base = MortonPointSet.Empty;

    public ResidentIndex(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
    }

    /// <summary>Number of residents in the index.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _ordinals.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Delta size (residents written since the last rebuild) that triggers a rebuild of the sorted points.</summary>
    internal int RebuildThreshold => Math.Max(MinimumRebuildThreshold, _ordinals.Count / 256);

    /// <summary>Lower bound of <see cref="RebuildThreshold"/>; tests lower it to exercise rebuilds on small data.</summary>
    internal int MinimumRebuildThreshold { get; set; } = 1024;

    /// <summary>How many times the sorted points were rebuilt (bulk loads included).</summary>
    internal int RebuildCount { get; private set; }

    /// <summary>Residents whose places currently sit in the delta (for tests and diagnostics).</summary>
    internal int DeltaCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _delta.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Adds many residents at once (start-up load, bulk import); far cheaper than repeated <see cref="Upsert"/>.</summary>
    /// <remarks>All residents are validated before any is applied; a later duplicate id wins.</remarks>
    public void BulkUpsert(IEnumerable<ResidentProfile> residents)
    {
        ArgumentNullException.ThrowIfNull(residents);
        var list = residents as IReadOnlyList<ResidentProfile> ?? residents.ToList();
        var placeCount = 0;
        for (var i = 0; i < list.Count; i++)
        {
            Validate(list[i]);
            placeCount += list[i].Places.Count;
        }

        _lock.EnterWriteLock();
        try
        {
            var xs = new double[placeCount];
            var ys = new double[placeCount];
            var ords = new int[placeCount];
            var n = 0;
            var seen = new ulong[Bits.WordCount(_ordinalCount + list.Count)];
            for (var i = 0; i < list.Count; i++)
            {
                var resident = list[i];
                var ordinal = Apply(resident);
                if (Bits.Get(seen, ordinal))
                {
                    // A repeat within this batch: its earlier points are already staged, so the delta (which
                    // overrides staged points at rebuild) carries the final places instead.
                    _delta[ordinal] = ToPoints(resident.Places);
                    continue;
                }

                Bits.Set(seen, ordinal);
                _delta.Remove(ordinal);
                foreach (var place in resident.Places)
                {
                    xs[n] = place.Lon;
                    ys[n] = place.Lat;
                    ords[n] = ordinal;
                    n++;
                }
            }

            Rebuild(xs, ys, ords, n);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Adds or replaces one resident (places, attributes and channels; a live location is kept).</summary>
    public void Upsert(ResidentProfile resident)
    {
        Validate(resident);
        _lock.EnterWriteLock();
        try
        {
            var ordinal = Apply(resident);
            _delta[ordinal] = ToPoints(resident.Places);
            if (_delta.Count > RebuildThreshold)
            {
                Rebuild([], [], [], 0);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes a resident and their live location. Returns false if unknown.</summary>
    public bool Remove(Guid residentId)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_ordinals.Remove(residentId, out var ordinal))
            {
                return false;
            }

            _householdTags.ClearOrdinal(ordinal);
            _languages.ClearOrdinal(ordinal);
            _tags.ClearOrdinal(ordinal);
            _channelMasks[ordinal] = 0;
            _ids[ordinal] = Guid.Empty;
            Bits.Clear(_alive, ordinal);
            // Stale from now on, so a later resident reusing the ordinal never inherits these base points.
            Bits.Set(_staleBase, ordinal);
            _delta.Remove(ordinal);
            _live.Remove(ordinal);
            _freeOrdinals.Push(ordinal);
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Sets an opt-in live location that counts as a place until <paramref name="expiresAt"/>.</summary>
    /// <exception cref="KeyNotFoundException">The resident is not in the index.</exception>
    public void SetCurrentLocation(Guid residentId, double lat, double lon, DateTimeOffset expiresAt)
    {
        ValidateCoordinates(lat, lon, nameof(lat));
        _lock.EnterWriteLock();
        try
        {
            if (!_ordinals.TryGetValue(residentId, out var ordinal))
            {
                throw new KeyNotFoundException($"Resident {residentId} is not in the index.");
            }

            _live[ordinal] = new LiveLocation(lon, lat, expiresAt);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void ClearCurrentLocation(Guid residentId)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_ordinals.TryGetValue(residentId, out var ordinal))
            {
                _live.Remove(ordinal);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Answers area × audience → recipients.</summary>
    public TargetResult Query(TargetQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(query.Shapes);
        var started = _timeProvider.GetTimestamp();

        // Shapes sharing a key are one area part: a resident inside both counts once for that key.
        var groups = new List<(string Key, List<ShapeMatcher> Matchers)>();
        foreach (var shape in query.Shapes)
        {
            ArgumentNullException.ThrowIfNull(shape);
            var matcher = ShapeMatcher.Create(shape);
            var group = groups.FindIndex(g => g.Key == shape.Key);
            if (group < 0)
            {
                groups.Add((shape.Key, [matcher]));
            }
            else
            {
                groups[group].Matchers.Add(matcher);
            }
        }

        _lock.EnterReadLock();
        try
        {
            return Evaluate(query, groups, started);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private TargetResult Evaluate(TargetQuery query, List<(string Key, List<ShapeMatcher> Matchers)> groups, long started)
    {
        var words = Bits.WordCount(_ordinalCount);
        var pool = ArrayPool<ulong>.Shared;
        var audience = pool.Rent(Math.Max(1, words));
        var scratch = pool.Rent(Math.Max(1, words));
        var baseEligible = pool.Rent(Math.Max(1, words));
        var found = pool.Rent(Math.Max(1, words));
        var inArea = pool.Rent(Math.Max(1, words));
        try
        {
            Array.Copy(_alive, audience, words);
            var filter = query.Audience;
            if (filter is not null)
            {
                _householdTags.Apply(filter.HouseholdTags, audience, words, scratch);
                _languages.Apply(filter.Languages, audience, words, scratch);
                _tags.Apply(filter.Tags, audience, words, scratch);
            }

            for (var i = 0; i < words; i++)
            {
                baseEligible[i] = audience[i] & ~_staleBase[i];
            }

            Array.Clear(inArea, 0, words);
            var (allowedMask, channelKeys) = AllowedChannels(query.Channels);
            var now = _timeProvider.GetUtcNow();
            var byArea = new Dictionary<string, int>(groups.Count);

            foreach (var (key, matchers) in groups)
            {
                Array.Clear(found, 0, words);
                foreach (var matcher in matchers)
                {
                    SpatialWalk.Collect(_base, matcher, baseEligible, found);
                    CollectDelta(matcher, audience, found);
                    if (query.IncludeCurrentLocations)
                    {
                        CollectLive(matcher, audience, found, now);
                    }
                }

                var reachable = 0;
                for (var w = 0; w < words; w++)
                {
                    var bits = found[w];
                    inArea[w] |= bits;
                    while (bits != 0)
                    {
                        var ordinal = (w << 6) + BitOperations.TrailingZeroCount(bits);
                        bits &= bits - 1;
                        if ((_channelMasks[ordinal] & allowedMask) != 0)
                        {
                            reachable++;
                        }
                    }
                }

                byArea[key] = reachable;
            }

            var perChannel = new int[MaxChannels];
            var recipients = 0;
            var unreachable = 0;
            var ids = query.CollectRecipients ? new List<Guid>() : null;
            var idsByChannel = query.CollectRecipients ? new List<Guid>?[MaxChannels] : null;
            for (var w = 0; w < words; w++)
            {
                var bits = inArea[w];
                while (bits != 0)
                {
                    var ordinal = (w << 6) + BitOperations.TrailingZeroCount(bits);
                    bits &= bits - 1;
                    var mask = _channelMasks[ordinal] & allowedMask;
                    if (mask == 0)
                    {
                        unreachable++;
                        continue;
                    }

                    recipients++;
                    ids?.Add(_ids[ordinal]);
                    while (mask != 0)
                    {
                        var channel = BitOperations.TrailingZeroCount(mask);
                        perChannel[channel]++;
                        if (idsByChannel is not null)
                        {
                            (idsByChannel[channel] ??= []).Add(_ids[ordinal]);
                        }

                        mask &= mask - 1;
                    }
                }
            }

            var byChannel = new Dictionary<string, int>(channelKeys.Count, StringComparer.OrdinalIgnoreCase);
            foreach (var (name, id) in channelKeys)
            {
                byChannel[name] = id < 0 ? 0 : perChannel[id];
            }

            var recipientsByChannel = new Dictionary<string, IReadOnlyList<Guid>>(StringComparer.OrdinalIgnoreCase);
            if (idsByChannel is not null)
            {
                foreach (var (name, id) in channelKeys)
                {
                    recipientsByChannel[name] = id < 0 ? [] : (IReadOnlyList<Guid>?)idsByChannel[id] ?? [];
                }
            }

            return new TargetResult(
                recipients,
                unreachable,
                byChannel,
                byArea,
                ids is null ? [] : ids,
                _timeProvider.GetElapsedTime(started))
            {
                RecipientsByChannel = recipientsByChannel,
            };
        }
        finally
        {
            pool.Return(audience);
            pool.Return(scratch);
            pool.Return(baseEligible);
            pool.Return(found);
            pool.Return(inArea);
        }
    }

    /// <summary>The channels (of <paramref name="allowed"/>, or all) on which a resident has an endpoint; empty when unknown.</summary>
    public IReadOnlyList<string> ChannelsOf(Guid residentId, IReadOnlyCollection<string>? allowed)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_ordinals.TryGetValue(residentId, out var ordinal))
            {
                return [];
            }

            var (mask, keys) = AllowedChannels(allowed);
            mask &= _channelMasks[ordinal];
            return [.. keys.Where(k => k.Id >= 0 && (mask & (1UL << k.Id)) != 0).Select(k => k.Name)];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private (ulong Mask, List<(string Name, int Id)> Keys) AllowedChannels(IReadOnlyCollection<string>? requested)
    {
        var keys = new List<(string, int)>();
        ulong mask = 0;
        if (requested is null)
        {
            for (var id = 0; id < _channelNames.Count; id++)
            {
                mask |= 1UL << id;
                keys.Add((_channelNames[id], id));
            }

            return (mask, keys);
        }

        foreach (var name in requested)
        {
            if (name is null || keys.Exists(k => string.Equals(k.Item1, name, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (_channelIds.TryGetValue(name, out var id))
            {
                mask |= 1UL << id;
                keys.Add((name, id));
            }
            else
            {
                keys.Add((name, -1));
            }
        }

        return (mask, keys);
    }

    private void CollectDelta(ShapeMatcher matcher, ulong[] audience, ulong[] found)
    {
        foreach (var (ordinal, points) in _delta)
        {
            if (!Bits.Get(audience, ordinal) || Bits.Get(found, ordinal))
            {
                continue;
            }

            foreach (var p in points)
            {
                if (matcher.Contains(p.X, p.Y))
                {
                    Bits.Set(found, ordinal);
                    break;
                }
            }
        }
    }

    private void CollectLive(ShapeMatcher matcher, ulong[] audience, ulong[] found, DateTimeOffset now)
    {
        foreach (var (ordinal, live) in _live)
        {
            if (live.ExpiresAt > now && Bits.Get(audience, ordinal) && !Bits.Get(found, ordinal) && matcher.Contains(live.X, live.Y))
            {
                Bits.Set(found, ordinal);
            }
        }
    }

    /// <summary>Writes a resident's id, attributes and channels; returns its ordinal. Places are the caller's job.</summary>
    private int Apply(ResidentProfile resident)
    {
        if (_ordinals.TryGetValue(resident.Id, out var ordinal))
        {
            _householdTags.ClearOrdinal(ordinal);
            _languages.ClearOrdinal(ordinal);
            _tags.ClearOrdinal(ordinal);
            Bits.Set(_staleBase, ordinal);
        }
        else
        {
            ordinal = _freeOrdinals.Count > 0 ? _freeOrdinals.Pop() : _ordinalCount++;
            EnsureCapacity(_ordinalCount);
            _ordinals.Add(resident.Id, ordinal);
        }

        _ids[ordinal] = resident.Id;
        Bits.Set(_alive, ordinal);
        foreach (var tag in resident.HouseholdTags)
        {
            _householdTags.Add(ordinal, tag);
        }

        if (!string.IsNullOrEmpty(resident.Language))
        {
            _languages.Add(ordinal, resident.Language);
        }

        foreach (var tag in resident.Tags)
        {
            _tags.Add(ordinal, tag);
        }

        ulong mask = 0;
        foreach (var channel in resident.Channels)
        {
            if (!_channelIds.TryGetValue(channel, out var id))
            {
                if (_channelNames.Count == MaxChannels)
                {
                    throw new InvalidOperationException($"At most {MaxChannels} distinct channel names are supported.");
                }

                id = _channelNames.Count;
                _channelNames.Add(channel);
                _channelIds.Add(channel, id);
            }

            mask |= 1UL << id;
        }

        _channelMasks[ordinal] = mask;
        return ordinal;
    }

    private void EnsureCapacity(int ordinals)
    {
        if (ordinals <= _ids.Length)
        {
            return;
        }

        var capacity = Math.Max(ordinals, Math.Max(1024, _ids.Length * 2));
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _channelMasks, capacity);
        var words = Bits.WordCount(capacity);
        Array.Resize(ref _alive, words);
        Array.Resize(ref _staleBase, words);
        _householdTags.EnsureWordCapacity(words);
        _languages.EnsureWordCapacity(words);
        _tags.EnsureWordCapacity(words);
    }

    /// <summary>Merges the base (minus stale residents), the delta and <paramref name="count"/> staged points into a new base.</summary>
    private void Rebuild(double[] stagedX, double[] stagedY, int[] stagedOrdinals, int count)
    {
        var old = _base;
        var total = count;
        for (var i = 0; i < old.Count; i++)
        {
            if (!Bits.Get(_staleBase, old.Ordinals[i]))
            {
                total++;
            }
        }

        foreach (var points in _delta.Values)
        {
            total += points.Length;
        }

        var xs = new double[total];
        var ys = new double[total];
        var ords = new int[total];
        var n = 0;
        for (var i = 0; i < old.Count; i++)
        {
            var o = old.Ordinals[i];
            if (!Bits.Get(_staleBase, o))
            {
                xs[n] = old.Xs[i];
                ys[n] = old.Ys[i];
                ords[n++] = o;
            }
        }

        for (var i = 0; i < count; i++)
        {
            // A staged ordinal with a delta entry was repeated later in the same batch; the delta wins.
            if (_delta.Count > 0 && _delta.ContainsKey(stagedOrdinals[i]))
            {
                continue;
            }

            xs[n] = stagedX[i];
            ys[n] = stagedY[i];
            ords[n++] = stagedOrdinals[i];
        }

        foreach (var (o, points) in _delta)
        {
            foreach (var p in points)
            {
                xs[n] = p.X;
                ys[n] = p.Y;
                ords[n++] = o;
            }
        }

        if (n < total)
        {
            Array.Resize(ref xs, n);
            Array.Resize(ref ys, n);
            Array.Resize(ref ords, n);
        }

        _base = MortonPointSet.Build(xs, ys, ords);
        RebuildCount++;
        _delta.Clear();
        Array.Clear(_staleBase);
        foreach (var ordinal in _freeOrdinals)
        {
            // Free ordinals have no points now, but keep them stale so reuse stays safe.
            Bits.Set(_staleBase, ordinal);
        }

        var now = _timeProvider.GetUtcNow();
        foreach (var ordinal in _live.Where(kv => kv.Value.ExpiresAt <= now).Select(kv => kv.Key).ToList())
        {
            _live.Remove(ordinal);
        }
    }

    private static GeoPoint[] ToPoints(IReadOnlyList<ResidentPlace> places)
    {
        var points = new GeoPoint[places.Count];
        for (var i = 0; i < points.Length; i++)
        {
            points[i] = new GeoPoint(places[i].Lon, places[i].Lat);
        }

        return points;
    }

    private static void Validate(ResidentProfile resident)
    {
        ArgumentNullException.ThrowIfNull(resident);
        ArgumentNullException.ThrowIfNull(resident.Places);
        ArgumentNullException.ThrowIfNull(resident.HouseholdTags);
        ArgumentNullException.ThrowIfNull(resident.Tags);
        ArgumentNullException.ThrowIfNull(resident.Channels);
        if (resident.Places.Count > MaxPlaces)
        {
            throw new ArgumentException($"Resident {resident.Id} has {resident.Places.Count} places; at most {MaxPlaces} are allowed.", nameof(resident));
        }

        foreach (var place in resident.Places)
        {
            ArgumentNullException.ThrowIfNull(place);
            ValidateCoordinates(place.Lat, place.Lon, nameof(resident));
        }
    }

    private static void ValidateCoordinates(double lat, double lon, string paramName)
    {
        if (!(lat is >= -90 and <= 90) || !(lon is >= -180 and <= 180))
        {
            throw new ArgumentOutOfRangeException(paramName, $"({lat}, {lon}) is not a valid WGS84 lat/lon.");
        }
    }

    private readonly record struct GeoPoint(double X, double Y);

    private readonly record struct LiveLocation(double X, double Y, DateTimeOffset ExpiresAt);
}
