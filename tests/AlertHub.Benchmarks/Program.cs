using System.Diagnostics;
using AlertHub.Benchmarks;
using AlertHub.Core.Targeting;
using BenchmarkDotNet.Running;

if (TargetingBenchmarks.BoundaryPath is null)
{
    Console.WriteLine("../shared not found (no geo/boundaries/yokote_05203_boundary_n03-2017.geojson next to the repository; set ALERTHUB_SHARED_DIR). Nothing to benchmark.");
    return 0;
}

if (args is ["build", ..])
{
    // Quick mode: bulk-load time, index memory and a plain stopwatch over the main query, without BenchmarkDotNet.
    var residents = SyntheticResidents.Create(TargetingBenchmarks.ResidentCount);
    var (index, elapsed, bytes) = TargetingBenchmarks.Build(residents);
    Console.WriteLine($"BulkUpsert of {TargetingBenchmarks.ResidentCount:N0} residents: {elapsed.TotalMilliseconds:N0} ms; index memory ≈ {bytes / (1024.0 * 1024.0):N1} MiB");
    var yokote = TargetingBenchmarks.LoadBoundary(TargetingBenchmarks.BoundaryPath);
    var query = new TargetQuery(
        [new PolygonShape("05203", "横手市", yokote)],
        new AudienceFilter(HouseholdTags: new TagFilter(Any: ["elderly", "children"])));
    TargetResult result = index.Query(query);
    var stopwatch = Stopwatch.StartNew();
    const int runs = 20;
    for (var i = 0; i < runs; i++)
    {
        result = index.Query(query);
    }

    Console.WriteLine($"Yokote polygon × any [elderly, children]: {result.Recipients:N0} recipients, {result.Unreachable:N0} unreachable, mean {stopwatch.Elapsed.TotalMilliseconds / runs:N1} ms over {runs} runs");
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(TargetingBenchmarks).Assembly).Run(args);
return 0;
