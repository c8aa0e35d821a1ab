using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using AlertHub.Core.Cluster;
using AlertHub.Core.Geo;
using AlertHub.Core.Storage;
using NetTopologySuite.Geometries;

namespace AlertHub.Server.Features.Areas;

internal static class AreaKinds
{
    public static readonly IReadOnlySet<string> All = new HashSet<string> { "district", "flood", "landslide", "shelter-zone", "custom" };

    /// <summary>
    /// Kinds anyone may find by name (the resident page's place search, <c>/api/dashboard/places</c>): district names and a
    /// point inside each are printed on every hazard map. Flood and landslide zones, shelter zones and the custom areas staff
    /// draw for one alert are staff working data and stay behind <c>/api/areas</c>.
    /// </summary>
    public static readonly IReadOnlySet<string> Public = new HashSet<string>(StringComparer.Ordinal) { "district" };
}

internal sealed record Area(string Id, string Name, string Kind, string? Code, Geometry Geometry, bool Demo, DateTimeOffset CreatedAt);

/// <summary>
/// Named target areas. All areas are kept in memory (geometry parsed once) because targeting reads them on every preview;
/// <see cref="IAreaStore"/> holds the durable copy. Areas are added and deleted, never changed: another node's addition
/// makes every node read the areas it does not have yet, a deletion drops the area everywhere (<see cref="ClusterTopics.Areas"/>).
/// </summary>
internal sealed partial class AreaStore
{
    private readonly ConcurrentDictionary<string, Area> _areas = new();
    private readonly IAreaStore store;
    private readonly IClusterEvents _cluster;
    private readonly TimeProvider time;
    private readonly CoalescingRefresh _reload;

    public AreaStore(IAreaStore store, IClusterEvents cluster, TimeProvider time, ILogger<AreaStore> logger)
    {
        this.store = store;
        _cluster = cluster;
        this.time = time;
        _reload = new CoalescingRefresh(ReloadAsync, e => LogReloadFailed(logger, e));
        cluster.Subscribe(ClusterTopics.Areas, OnClusterEvent);
    }

    public IReadOnlyCollection<Area> All => [.. _areas.Values.OrderBy(a => a.CreatedAt).ThenBy(a => a.Name, StringComparer.Ordinal)];

    public Area? Find(string id) => _areas.TryGetValue(id, out var area) ? area : null;

    /// <summary>Areas whose code names the same place as <paramref name="code"/> (JMA 7-digit, JIS 6-digit or 5-digit municipal).</summary>
    public IReadOnlyList<Area> FindByCode(string code)
    {
        var key = AreaCodes.Normalise(code);
        return [.. _areas.Values.Where(a => a.Code is not null && AreaCodes.Normalise(a.Code) == key)];
    }

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var stored in await store.ListAsync(cancellationToken))
        {
            using var doc = JsonDocument.Parse(stored.GeoJson);
            _areas[stored.Id] = new Area(stored.Id, stored.Name, stored.Kind, stored.Code, GeoJsonReader.ReadGeometry(doc.RootElement), stored.Demo,
                stored.CreatedAt);
        }
    }

    public Task<bool> AnyAsync(CancellationToken cancellationToken) => store.AnyAsync(cancellationToken);

    public async Task<IReadOnlyList<Area>> AddAsync(IReadOnlyList<(string Name, string Kind, string? Code, Geometry Geometry, bool Demo)> areas, CancellationToken cancellationToken)
    {
        var created = areas.Select(a => new Area(Guid.NewGuid().ToString("n"), a.Name, a.Kind, a.Code, a.Geometry, a.Demo, time.GetUtcNow())).ToList();
        await store.AddAsync([.. created.Select(a => new StoredArea(a.Id, a.Name, a.Kind, a.Code, ToGeoJson(a.Geometry), a.Demo, a.CreatedAt))], cancellationToken);
        foreach (var area in created)
        {
            _areas[area.Id] = area;
        }

        await _cluster.PublishAsync(ClusterTopics.Areas, "+", cancellationToken);
        return created;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAsync(id, cancellationToken);
        _areas.TryRemove(id, out _);
        await _cluster.PublishAsync(ClusterTopics.Areas, "-" + id, cancellationToken);
        return deleted;
    }

    private void OnClusterEvent(ClusterEvent e)
    {
        if (e.FromThisNode && !e.IsResync)
        {
            return;
        }

        if (e.Payload.StartsWith('-'))
        {
            _areas.TryRemove(e.Payload[1..], out _);
        }
        else
        {
            _ = _reload.Request();
        }
    }

    /// <summary>
    /// Reads the areas this node lacks and drops those the store no longer has. Only areas cached before the read began
    /// can be dropped: one this node adds meanwhile is not in what was read yet, and stays.
    /// </summary>
    private async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var before = _areas.Keys.ToHashSet(StringComparer.Ordinal);
        var stored = await store.ListAsync(cancellationToken);
        foreach (var s in stored.Where(s => !_areas.ContainsKey(s.Id)))
        {
            using var doc = JsonDocument.Parse(s.GeoJson);
            _areas[s.Id] = new Area(s.Id, s.Name, s.Kind, s.Code, GeoJsonReader.ReadGeometry(doc.RootElement), s.Demo, s.CreatedAt);
        }

        before.ExceptWith(stored.Select(s => s.Id));
        foreach (var gone in before)
        {
            _areas.TryRemove(gone, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Areas: could not read the areas another node changed")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);

    public static string ToGeoJson(Geometry geometry)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            GeoJsonWriter.WriteGeometry(writer, geometry);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

/// <summary>Japanese area codes reduced to one comparable key.</summary>
internal static class AreaCodes
{
    /// <summary>
    /// 7-digit JMA city codes ending in 00 (<c>0520300</c>) and 6-digit JIS codes with a valid check digit
    /// (<c>052035</c>) both become the 5-digit municipal code (<c>05203</c>); anything else — JMA area codes
    /// such as <c>050022</c> (仙北平鹿地域) among them — is kept as is.
    /// </summary>
    public static string Normalise(string code)
    {
        code = code.Trim();
        if (!code.All(char.IsAsciiDigit))
        {
            return code;
        }

        return code.Length switch
        {
            7 when code.EndsWith("00", StringComparison.Ordinal) => code[..5],
            6 when code[5] - '0' == JisCheckDigit(code.AsSpan(0, 5)) => code[..5],
            _ => code,
        };
    }

    /// <summary>総務省 全国地方公共団体コード check digit: weights 6..2, the ones digit of 11 − (sum mod 11).</summary>
    public static int JisCheckDigit(ReadOnlySpan<char> fiveDigits)
    {
        var sum = 0;
        for (var i = 0; i < 5; i++)
        {
            sum += (fiveDigits[i] - '0') * (6 - i);
        }

        return (11 - (sum % 11)) % 10;
    }
}
