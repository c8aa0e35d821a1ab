using System.Diagnostics;
using AlertHub.Core.Feeds.Atom;
using AlertHub.Tests.Shared;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace AlertHub.Benchmarks;

/// <summary>
/// Parsing JMA's long 随時 feed (../shared/fixtures/feeds/atom/extra_l.xml, 2.3 MB, 3,647 entries) with the streaming
/// <see cref="AtomFeed"/> reader. Run: <c>dotnet run -c Release --project tests/AlertHub.Benchmarks -- atom --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class AtomFeedBenchmarks
{
    public const int ExpectedEntries = 3647;

    private byte[] _feed = [];

    public static string? FeedPath => SharedData.Path("fixtures", "feeds", "atom", "extra_l.xml");

    [GlobalSetup]
    public void Setup() => _feed = File.ReadAllBytes(FeedPath ?? throw new InvalidOperationException("extra_l.xml not found"));

    [Benchmark]
    public int ParseExtraLong() => AtomFeed.Parse(new MemoryStream(_feed, writable: false), 10 * 1024 * 1024).Entries.Count;

    /// <summary>The <c>atom</c> mode: a quick stopwatch figure (ms, entries/s), then BenchmarkDotNet with the remaining arguments.</summary>
    public static int Run(string[] args)
    {
        if (FeedPath is null)
        {
            Console.WriteLine("../shared/fixtures/feeds/atom/extra_l.xml not found (set ALERTHUB_SHARED_DIR). Nothing to benchmark.");
            return 0;
        }

        var bench = new AtomFeedBenchmarks();
        bench.Setup();
        // Enough warm-up for tiered compilation to reach optimised code; fewer runs measure the JIT, not the parser.
        for (var i = 0; i < 100; i++)
        {
            bench.ParseExtraLong();
        }

        const int runs = 50;
        var stopwatch = Stopwatch.StartNew();
        var entries = 0;
        for (var i = 0; i < runs; i++)
        {
            entries = bench.ParseExtraLong();
        }

        var ms = stopwatch.Elapsed.TotalMilliseconds / runs;
        Console.WriteLine($"extra_l.xml ({bench._feed.Length:N0} bytes): {entries:N0} entries, mean {ms:N2} ms over {runs} runs ≈ {entries / (ms / 1000):N0} entries/s, {bench._feed.Length / (ms / 1000) / (1024 * 1024):N0} MiB/s");
        if (entries != ExpectedEntries)
        {
            Console.WriteLine($"Expected {ExpectedEntries} entries.");
            return 1;
        }

        BenchmarkRunner.Run<AtomFeedBenchmarks>(args: args);
        return 0;
    }
}
