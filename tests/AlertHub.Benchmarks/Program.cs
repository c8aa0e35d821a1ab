using System.Diagnostics;
using AlertHub.Benchmarks;
using AlertHub.Benchmarks.PostGis;
using AlertHub.Core.Targeting;
using BenchmarkDotNet.Running;

if (args is ["atom", .. var atomArgs])
{
    return AtomFeedBenchmarks.Run(atomArgs);
}

if (args is ["feeds", .. var feedArgs])
{
    return FeedBenchmarks.Run(feedArgs);
}

if (args is ["webpush", .. var webPushArgs])
{
    return WebPushCryptoBenchmark.Run(webPushArgs);
}

if (args is ["email", .. var emailArgs])
{
    return EmailMessageBenchmark.Run(emailArgs);
}

if (args is ["outbox", .. var outboxArgs])
{
    return await OutboxWriteBenchmark.Run(outboxArgs);
}

if (args is ["stores", .. var storeArgs])
{
    return await AlertHub.Benchmarks.Stores.StoreBenchmarks.Run(storeArgs);
}

if (args is ["drone", .. var droneArgs])
{
    return DronePhotoBenchmarks.Run(droneArgs);
}

if (args is ["postgis", .. var pgArgs])
{
    return await PostGisComparison.Run(pgArgs);
}

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

    // Single writes after the bulk load: the delta path, including the rebuilds it triggers.
    var moves = SyntheticResidents.Create(10_000, seed: 7);
    stopwatch.Restart();
    for (var i = 0; i < moves.Count; i++)
    {
        index.Upsert(moves[i] with { Id = residents[i * 97].Id });
    }

    Console.WriteLine($"10,000 single Upserts after the bulk load: {stopwatch.Elapsed.TotalMilliseconds:N0} ms ({index.RebuildCount - 1} rebuilds; {index.DeltaCount:N0} residents left in the delta)");
    stopwatch.Restart();
    var withDelta = index.Query(query);
    for (var i = 1; i < runs; i++)
    {
        withDelta = index.Query(query);
    }

    Console.WriteLine($"Same query with that delta: mean {stopwatch.Elapsed.TotalMilliseconds / runs:N1} ms ({withDelta.Recipients:N0} recipients)");
    for (var i = 0; i < moves.Count; i++)
    {
        index.Upsert(residents[i * 97]);
    }

    // The same answer the slow way, so the figures above are known to be right at full scale.
    var locator = new NetTopologySuite.Algorithm.Locate.IndexedPointInAreaLocator(yokote);
    stopwatch.Restart();
    int bruteRecipients = 0, bruteUnreachable = 0;
    foreach (var r in residents)
    {
        if (!r.HouseholdTags.Any(t => t is "elderly" or "children")
            || !r.Places.Any(p => locator.Locate(new NetTopologySuite.Geometries.Coordinate(p.Lon, p.Lat)) != NetTopologySuite.Geometries.Location.Exterior))
        {
            continue;
        }

        if (r.Channels.Count > 0)
        {
            bruteRecipients++;
        }
        else
        {
            bruteUnreachable++;
        }
    }

    Console.WriteLine($"Brute force: {bruteRecipients:N0} recipients, {bruteUnreachable:N0} unreachable in {stopwatch.Elapsed.TotalMilliseconds:N0} ms; {(bruteRecipients == result.Recipients && bruteUnreachable == result.Unreachable ? "agrees" : "DISAGREES")}");
    var restored = index.Query(query);
    if (restored.Recipients != result.Recipients)
    {
        Console.WriteLine($"After restoring the moved residents the index says {restored.Recipients:N0}, expected {result.Recipients:N0}");
        return 1;
    }

    return bruteRecipients == result.Recipients && bruteUnreachable == result.Unreachable ? 0 : 1;
}

BenchmarkSwitcher.FromAssembly(typeof(TargetingBenchmarks).Assembly).Run(args);
return 0;
