using System.Diagnostics;
using System.Text.Json;
using AlertHub.Core.Geo;
using AlertHub.Core.Targeting;
using AlertHub.Tests.Shared;
using BenchmarkDotNet.Attributes;
using NetTopologySuite.Geometries;

namespace AlertHub.Benchmarks;

/// <summary>Queries over 1,000,000 synthetic residents against the real 7,855-vertex Yokote boundary.</summary>
[MemoryDiagnoser]
public class TargetingBenchmarks
{
    internal const int ResidentCount = 1_000_000;

    private ResidentIndex _index = null!;
    private TargetQuery _polygonElderlyOrChildren = null!;
    private TargetQuery _polygonEveryone = null!;
    private TargetQuery _circle3Km = null!;
    private TargetQuery _circle200Km = null!;

    internal static string? BoundaryPath => SharedData.Path("geo", "boundaries", "yokote_05203_boundary_n03-2017.geojson");

    internal static Geometry LoadBoundary(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return GeoJsonReader.ReadFeatures(document.RootElement)[0].Geometry;
    }

    [GlobalSetup]
    public void Setup()
    {
        var path = BoundaryPath ?? throw new InvalidOperationException("../shared not found");
        var yokote = LoadBoundary(path);
        var residents = SyntheticResidents.Create(ResidentCount);
        (_index, var elapsed, var bytes) = Build(residents);
        Console.WriteLine($"// BulkUpsert of {ResidentCount:N0} residents: {elapsed.TotalMilliseconds:N0} ms; index memory ≈ {bytes / (1024.0 * 1024.0):N1} MiB");

        var yokoteShape = new PolygonShape("05203", "横手市", yokote);
        var elderlyOrChildren = new AudienceFilter(HouseholdTags: new TagFilter(Any: ["elderly", "children"]));
        _polygonElderlyOrChildren = new TargetQuery([yokoteShape], elderlyOrChildren);
        _polygonEveryone = new TargetQuery([yokoteShape]);
        _circle3Km = new TargetQuery([new CircleShape("hall-3km", "City hall 3 km", 39.31372, 140.56661, 3_000)], elderlyOrChildren);
        _circle200Km = new TargetQuery([new CircleShape("hall-200km", "City hall 200 km", 39.31372, 140.56661, 200_000)], elderlyOrChildren);
    }

    /// <summary>Bulk-loads the residents and measures wall time and managed memory held by the index.</summary>
    internal static (ResidentIndex Index, TimeSpan Elapsed, long Bytes) Build(List<ResidentProfile> residents)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var stopwatch = Stopwatch.StartNew();
        var index = new ResidentIndex(TimeProvider.System);
        index.BulkUpsert(residents);
        stopwatch.Stop();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(residents);
        return (index, stopwatch.Elapsed, after - before);
    }

    [Benchmark(Description = "Yokote polygon, householdTags any [elderly, children]")]
    public int PolygonWithAudience() => _index.Query(_polygonElderlyOrChildren).Recipients;

    [Benchmark(Description = "Yokote polygon, everyone")]
    public int PolygonEveryone() => _index.Query(_polygonEveryone).Recipients;

    [Benchmark(Description = "Circle 3 km around city hall, any [elderly, children]")]
    public int Circle3Km() => _index.Query(_circle3Km).Recipients;

    [Benchmark(Description = "Circle 200 km around city hall, any [elderly, children]")]
    public int Circle200Km() => _index.Query(_circle200Km).Recipients;
}
