using System.Diagnostics;
using System.Xml;
using System.Xml.Linq;
using AlertHub.Core.Feeds;
using AlertHub.Core.Feeds.Jma;
using AlertHub.Tests.Shared;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace AlertHub.Benchmarks;

/// <summary>
/// JMA telegrams per second on one core: the 44 real fixtures cycled to 1,000 telegrams, each loaded from bytes with
/// the safe reader settings (DTD prohibited, no resolver) and mapped to a HazardEvent. Target ≥ 2,000 telegrams/s.
/// </summary>
[MemoryDiagnoser]
public class FeedBenchmarks
{
    internal const int Telegrams = 1_000;

    private static readonly XmlReaderSettings Safe = new() { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };

    private byte[][] _cycle = [];

    internal static string? JmaFixtureDirectory => SharedData.Path("fixtures", "feeds", "jma");

    /// <summary><c>feeds</c> mode: <c>feeds quick</c> is a plain stopwatch; anything else goes to BenchmarkDotNet (e.g. <c>feeds --job short</c>).</summary>
    internal static int Run(string[] args)
    {
        if (JmaFixtureDirectory is null)
        {
            Console.WriteLine("../shared/fixtures/feeds/jma not found (set ALERTHUB_SHARED_DIR). Nothing to benchmark.");
            return 0;
        }

        if (args is ["quick", ..])
        {
            var benchmark = new FeedBenchmarks();
            benchmark.Setup();
            for (var i = 0; i < 5; i++)
            {
                // Past tier-0 JIT before timing.
                benchmark.LoadAndMap();
                benchmark.LoadOnly();
            }

            var stopwatch = Stopwatch.StartNew();
            const int rounds = 10;
            for (var i = 0; i < rounds; i++)
            {
                benchmark.LoadAndMap();
            }

            var perSecond = rounds * Telegrams / stopwatch.Elapsed.TotalSeconds;
            Console.WriteLine($"JMA load + map: {perSecond:N0} telegrams/s ({rounds * Telegrams:N0} telegrams in {stopwatch.Elapsed.TotalMilliseconds:N0} ms, one thread)");
            stopwatch.Restart();
            for (var i = 0; i < rounds; i++)
            {
                benchmark.LoadOnly();
            }

            Console.WriteLine($"JMA load only:  {rounds * Telegrams / stopwatch.Elapsed.TotalSeconds:N0} telegrams/s");
            return 0;
        }

        BenchmarkRunner.Run<FeedBenchmarks>(args: args);
        return 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        var directory = JmaFixtureDirectory ?? throw new InvalidOperationException("../shared not found");
        var files = Directory.GetFiles(directory, "*.xml").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        _cycle = Enumerable.Range(0, Telegrams).Select(i => files[i % files.Length]).ToArray();
        Console.WriteLine($"// {files.Length} fixtures cycled to {Telegrams:N0} telegrams, {_cycle.Sum(b => (long)b.Length) / 1024.0 / 1024.0:N1} MiB");
    }

    /// <summary>Reading the XML alone, to show how much of the time is the parser's.</summary>
    [Benchmark(OperationsPerInvoke = Telegrams)]
    public int LoadOnly()
    {
        var elements = 0;
        foreach (var bytes in _cycle)
        {
            elements += Load(bytes).Root!.Elements().Count();
        }

        return elements;
    }

    /// <summary>Load + JmaParser.Parse per telegram; the mean is per telegram (telegrams/s = 1 s / mean).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Telegrams)]
    public int LoadAndMap()
    {
        var areas = 0;
        foreach (var bytes in _cycle)
        {
            HazardEvent e = JmaParser.Parse(Load(bytes));
            areas += e.Areas.Count;
        }

        return areas;
    }

    private static XDocument Load(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        using var reader = XmlReader.Create(stream, Safe);
        return XDocument.Load(reader);
    }
}
