using AlertHub.Core.Cluster;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using AlertHub.Core.Delivery;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Storage;
using AlertHub.Tests.Shared.Servers;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlertHub.Benchmarks.Stores;

/// <summary>
/// <c>stores [--engine sqlite|postgres|both] [--recipients N] [--import N] [--claimers 1,4] [--only import,outbox,claim] [--parts A,F,S]</c>:
/// the issue's store figures on each engine, one engine after the other in one run, printed side by side with PostgreSQL's
/// cost relative to SQLite's (time over time, or rate inverted). Everything goes through <c>AlertHub.Core.Storage</c>'s interfaces as the hub registers them:
/// <list type="bullet">
/// <item><b>import</b>: the first <c>--import</c> residents (default 100,000) through <see cref="IResidentStore.InsertAsync"/>
/// in chunks of 5,000, as POST /api/residents/import stores them; rows per second.</item>
/// <item><b>outbox</b>: one alert to every one of <c>--recipients</c> residents (default 1,000,000; one endpoint each, LINE
/// 70 %, FCM 30 %), written by the hub's <see cref="AlertRecords"/> and <see cref="AlertQueueing"/> with its default parts:
/// the time until the version and its first part are committed (the hub answers then and the workers start), and until the
/// whole outbox is queued.</item>
/// <item><b>claim</b>: all of that outbox claimed (<see cref="IOutboxStore.ClaimDueAsync"/>, the channels' default batch
/// sizes) and recorded Delivered (<see cref="IOutboxStore.RecordAsync"/>) by 1 and by 4 concurrent claimers, a fresh alert
/// each; rows per second. Afterwards the counts must say every member delivered once and nothing pending.</item>
/// </list>
/// The PostgreSQL side runs in a throwaway cluster (<see cref="PostgresCluster.LoadRunSettings"/>), removed at the end, on
/// Ctrl+C too. Exit 0, or 1 when a check fails, 2 when it cannot run.
/// </summary>
internal static class StoreBenchmarks
{
    /// <summary>The channels' default MaxBatchSize in the hub (LineChannelOptions, FcmOptions): chunk and claim sizes.</summary>
    private static readonly Dictionary<string, int> BatchSize = new(StringComparer.Ordinal) { ["line"] = 5000, ["fcm"] = 1000 };

    /// <summary>The API's import chunk (ResidentsApi.ImportChunk).</summary>
    private const int ImportChunk = 5_000;

    public static async Task<int> Run(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.WriteLine(e.Message);
            Console.WriteLine("usage: stores [--engine sqlite|postgres|both] [--recipients 1000000] [--import 100000] [--claimers 1,4] [--only import,outbox,claim] [--parts ABOVE,FIRST,SIZE]");
            return 2;
        }

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // Unwind through the finally blocks: the cluster and the temp files go with them.
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        PostgresCluster? cluster = null;
        var results = new List<EngineResults>();
        try
        {
            if (options.Engines.Contains(StorageOptions.PostgresEngine))
            {
                var bin = PostgresCluster.FindBinaries(withPostGis: false);
                if (bin is null)
                {
                    Console.WriteLine("PostgreSQL is not installed (apt-get install postgresql-15): cannot run --engine postgres.");
                    return 2;
                }

                cluster = await PostgresCluster.StartAsync(bin, PostgresCluster.LoadRunSettings);
            }

            var population = Population.Create(Math.Max(options.Recipients, options.Import));
            Console.WriteLine($"stores: {population.Residents.Count:N0} residents, one endpoint each (line {population.ByChannel["line"].Count:N0}, fcm {population.ByChannel["fcm"].Count:N0}); engines {string.Join(", ", options.Engines)}");
            foreach (var engine in options.Engines)
            {
                results.Add(await RunEngineAsync(engine, cluster, population, options, cts.Token));
            }

            Print(results);
            return results.All(r => r.Checks.Count == 0) ? 0 : 1;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Console.WriteLine("stopped (Ctrl+C)");
            return 2;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
        }
    }

    private static async Task<EngineResults> RunEngineAsync(string name, PostgresCluster? cluster, Population population, Options options, CancellationToken cancellationToken)
    {
        await using var engine = await BenchEngine.StartAsync(name, cluster, cancellationToken);
        var result = new EngineResults(engine.Description);
        Console.WriteLine($"--- {engine.Description}");
        var residents = engine.Get<IResidentStore>();

        // Import: the first --import residents, timed; then the rest of the outbox's population, untimed.
        var imported = 0;
        if (options.Runs("import") && options.Import > 0)
        {
            var started = Stopwatch.GetTimestamp();
            imported = await InsertAsync(residents, population, 0, options.Import, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            result.Add($"import {options.Import:N0} residents", elapsed.TotalSeconds, "s", options.Import / elapsed.TotalSeconds, "rows/s");
            Console.WriteLine(FormattableString.Invariant($"import: {options.Import:N0} residents in {elapsed.TotalSeconds:N2} s ({options.Import / elapsed.TotalSeconds:N0} rows/s)"));
        }

        if (!options.Runs("outbox") && !options.Runs("claim"))
        {
            return result;
        }

        if (imported < options.Recipients)
        {
            Console.WriteLine($"seeding {options.Recipients - imported:N0} more residents (untimed) …");
            await InsertAsync(residents, population, imported, options.Recipients, cancellationToken);
        }

        var outbox = engine.Get<IOutboxStore>();
        var records = new AlertRecords(engine.Get<IStoreTransactions>(), engine.Get<IAlertStore>(), engine.Get<IDraftStore>(), outbox,
            new AuditLog(engine.Get<IAuditLogStore>(), TimeProvider.System),
                new Server.Features.Cluster.InProcessClusterEvents(Microsoft.Extensions.Logging.Abstractions.NullLogger<Server.Features.Cluster.InProcessClusterEvents>.Instance), TimeProvider.System);
        // The hub's queueing, with its default parts unless --parts says otherwise. Its targeting service is only used to finish a version another process
        // left half-queued (a start after a crash), which never happens here.
        var queueing = new AlertQueueing(records, outbox, new InProcessClusterLocks(), new AlertHub.Core.Cluster.ClusterNode(), null!, new ChannelRegistry([]), new DeliverySignals(), new HealthState(),
            Microsoft.Extensions.Options.Options.Create(options.Alerts), TimeProvider.System, NullLogger<AlertQueueing>.Instance);
        var targeted = population.Targeted(options.Recipients);
        var rounds = options.Runs("claim") ? options.Claimers : [0];
        for (var round = 0; round < rounds.Count; round++)
        {
            var (document, first, all) = await WriteOutboxAsync(records, queueing, targeted, cancellationToken);
            var label = rounds.Count > 1 ? $" (alert {round + 1})" : "";
            result.Add($"outbox {options.Recipients:N0}: first part committed{label}", first.TotalMilliseconds, "ms");
            result.Add($"outbox {options.Recipients:N0}: queued in full{label}", all.TotalSeconds, "s");
            Console.WriteLine(FormattableString.Invariant($"outbox{label}: first part committed after {first.TotalMilliseconds:N0} ms, all {options.Recipients:N0} queued after {all.TotalSeconds:N2} s"));
            if (rounds[round] == 0)
            {
                continue;
            }

            var claimers = rounds[round];
            var (elapsed, recorded) = await ClaimAndRecordAsync(outbox, claimers, cancellationToken);
            result.Add($"claim + record {options.Recipients:N0}, {claimers} claimer{(claimers == 1 ? "" : "s")}", recorded / elapsed.TotalSeconds, "rows/s");
            Console.WriteLine(FormattableString.Invariant($"claim + record, {claimers} claimer(s): {recorded:N0} in {elapsed.TotalSeconds:N2} s ({recorded / elapsed.TotalSeconds:N0} rows/s)"));
            await CheckAllDeliveredAsync(outbox, document.Id, options.Recipients, recorded, result, cancellationToken);
        }

        return result;
    }

    private static async Task<int> InsertAsync(IResidentStore store, Population population, int from, int to, CancellationToken cancellationToken)
    {
        var at = DateTimeOffset.UtcNow;
        for (var start = from; start < to; start += ImportChunk)
        {
            var chunk = population.Residents.GetRange(start, Math.Min(ImportChunk, to - start));
            await store.InsertAsync(chunk, at, cancellationToken);
        }

        return to;
    }

    /// <summary>As AlertService issues: split, the version with its first part in one transaction, the rest in the background.</summary>
    private static async Task<(AlertDocument Document, TimeSpan FirstPart, TimeSpan Whole)> WriteOutboxAsync(AlertRecords records, AlertQueueing queueing,
        (Dictionary<string, IReadOnlyList<Guid>> ByChannel, List<Guid> All, Func<Guid, IReadOnlyList<string>> ChannelsOf) targeted, CancellationToken cancellationToken)
    {
        var document = OutboxWriteBenchmark.Document($"store{Guid.NewGuid():N}"[..32]);
        var started = Stopwatch.GetTimestamp();
        var enqueue = new OutboxEnqueue(document.Id, document.Version, document.Priority, RecipientRule.Targeted, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            targeted.ByChannel, ["line", "fcm"], null, 0, [], targeted.ChannelsOf, channel => BatchSize.GetValueOrDefault(channel, 500));
        var (first, later) = queueing.Split(enqueue, targeted.All);
        await records.InsertVersionAsync(document, first, "bench", cancellationToken, queuedInFull: later is null, laterRecipients: later?.Count ?? 0);
        var firstPart = Stopwatch.GetElapsedTime(started);
        if (later is not null)
        {
            queueing.ContinueInBackground(enqueue, later, await queueing.HoldQueueingAsync(document.Id, document.Version, cancellationToken));
            await queueing.WhenIdleAsync().WaitAsync(cancellationToken);
        }

        return (document, firstPart, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Claimers take due items of both channels in turn and record every member Delivered, until nothing is due.</summary>
    private static async Task<(TimeSpan Elapsed, long Recorded)> ClaimAndRecordAsync(IOutboxStore outbox, int claimers, CancellationToken cancellationToken)
    {
        long recorded = 0;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, claimers).Select(i => Task.Run(async () =>
        {
            var claimant = $"bench-{i}-{Guid.NewGuid():N}";
            var idle = 0;
            while (idle < BatchSize.Count)
            {
                idle = 0;
                foreach (var (channel, batch) in BatchSize)
                {
                    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    var claimed = await outbox.ClaimDueAsync(channel, batch, now, claimant, now + 300_000, cancellationToken);
                    if (claimed.Count == 0)
                    {
                        idle++;
                        continue;
                    }

                    var delivered = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    var outcomes = claimed.Select(w => new WorkOutcome(w.Id, WorkState.Delivered, delivered, null, w.Attempts + 1, null)).ToList();
                    Interlocked.Add(ref recorded, await outbox.RecordAsync(outcomes, claimant, delivered, cancellationToken));
                }
            }
        }, cancellationToken)));
        return (Stopwatch.GetElapsedTime(started), recorded);
    }

    /// <summary>The figures mean nothing unless every member was claimed exactly once: the running counts must say so.</summary>
    private static async Task CheckAllDeliveredAsync(IOutboxStore outbox, string alertId, int recipients, long recorded, EngineResults result, CancellationToken cancellationToken)
    {
        var counts = await outbox.VersionCountsAsync(alertId, cancellationToken);
        var delivered = counts.Sum(c => c.Delivery.Delivered);
        var pending = counts.Sum(c => c.Delivery.Pending);
        var targeted = counts.Sum(c => c.Delivery.Targeted);
        if (recorded != recipients || delivered != recipients || pending != 0 || targeted != recipients)
        {
            var check = $"{result.Engine}: expected {recipients:N0} delivered once; recorded {recorded:N0}, counts say targeted {targeted:N0}, delivered {delivered:N0}, pending {pending:N0}";
            result.Checks.Add(check);
            Console.WriteLine("CHECK FAILED " + check);
        }
    }

    private static void Print(List<EngineResults> results)
    {
        Console.WriteLine();
        var figures = results.SelectMany(r => r.Figures.Select(f => (f.Name, f.Unit))).Distinct().ToList();
        var width = Math.Max(20, figures.Select(f => f.Name.Length + f.Unit.Length + 3).DefaultIfEmpty(20).Max());
        var header = "figure".PadRight(width) + string.Concat(results.Select(r => r.Engine.PadLeft(18)));
        var sqlite = results.FirstOrDefault(r => r.Engine.StartsWith("SQLite", StringComparison.Ordinal));
        var postgres = results.FirstOrDefault(r => r.Engine.StartsWith("PostgreSQL", StringComparison.Ordinal));
        if (sqlite is not null && postgres is not null)
        {
            header += "   PG cost ×";
        }

        Console.WriteLine(header);
        foreach (var (name, unit) in figures)
        {
            var line = $"{name} ({unit})".PadRight(width);
            foreach (var r in results)
            {
                var value = r.Figures.FirstOrDefault(f => f.Name == name && f.Unit == unit)?.Value;
                line += (value is { } v ? v.ToString(unit == "s" ? "N2" : "N0", CultureInfo.InvariantCulture) : "-").PadLeft(18);
            }

            if (sqlite?.Figures.FirstOrDefault(f => f.Name == name && f.Unit == unit) is { Value: > 0 } s
                && postgres?.Figures.FirstOrDefault(f => f.Name == name && f.Unit == unit) is { } p)
            {
                // One direction for every figure: how many times SQLite's time PostgreSQL takes (a rate's inverse ratio).
                var cost = unit == "rows/s" ? s.Value / p.Value : p.Value / s.Value;
                line += cost.ToString("0.00", CultureInfo.InvariantCulture).PadLeft(12);
            }

            Console.WriteLine(line);
        }

        Console.WriteLine("(ms and s: lower is better; rows/s: higher is better. PG cost ×: PostgreSQL's time over SQLite's for the same work; the issue's bar is ≤ 1.5.)");
        foreach (var check in results.SelectMany(r => r.Checks))
        {
            Console.WriteLine("CHECK FAILED " + check);
        }
    }

    private sealed record Figure(string Name, double Value, string Unit);

    private sealed class EngineResults(string engine)
    {
        public string Engine { get; } = engine;

        public List<Figure> Figures { get; } = [];

        public List<string> Checks { get; } = [];

        public void Add(string name, double value, string unit) => Figures.Add(new Figure(name, value, unit));

        public void Add(string name, double seconds, string secondsUnit, double rate, string rateUnit)
        {
            Add(name, seconds, secondsUnit);
            Add(name, rate, rateUnit);
        }
    }

    /// <summary>Residents as the import stores them: one place in and around Yokote, one endpoint (line 70 %, fcm 30 %).</summary>
    private sealed class Population
    {
        public required List<NewResident> Residents { get; init; }

        public required Dictionary<string, List<Guid>> ByChannel { get; init; }

        public required Dictionary<Guid, string> ChannelOf { get; init; }

        public static Population Create(int count)
        {
            var random = new Random(15);
            var residents = new List<NewResident>(count);
            var byChannel = new Dictionary<string, List<Guid>>(StringComparer.Ordinal) { ["line"] = [], ["fcm"] = [] };
            var channelOf = new Dictionary<Guid, string>(count);
            string[] household = ["elderly", "children", "care-needed"];
            var tokenHash = SHA256.HashData("bench"u8);
            for (var i = 0; i < count; i++)
            {
                var id = new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16));
                var channel = random.NextDouble() < 0.7 ? "line" : "fcm";
                var address = channel == "line" ? "U" + Convert.ToHexStringLower(random.GetItems<byte>([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 16)) : "fcm-token-" + i.ToString(CultureInfo.InvariantCulture);
                residents.Add(new NewResident(id, tokenHash, "bench-" + i.ToString(CultureInfo.InvariantCulture),
                    household.Where(_ => random.NextDouble() < 0.2).ToArray(), "ja", [],
                    [new StoredPlace("自宅", 39.09 + (random.NextDouble() * 0.32), 140.26 + (random.NextDouble() * 0.53))],
                    [new NewEndpoint(channel, address, null, ResidentEndpointStates.Active)]));
                byChannel[channel].Add(id);
                channelOf[id] = channel;
            }

            return new Population { Residents = residents, ByChannel = byChannel, ChannelOf = channelOf };
        }

        /// <summary>The first <paramref name="count"/> residents as the targeting index hands them to the outbox.</summary>
        public (Dictionary<string, IReadOnlyList<Guid>> ByChannel, List<Guid> All, Func<Guid, IReadOnlyList<string>> ChannelsOf) Targeted(int count)
        {
            var all = Residents.Take(count).Select(r => r.Id).ToList();
            var byChannel = all.GroupBy(id => ChannelOf[id]).ToDictionary(g => g.Key, g => (IReadOnlyList<Guid>)g.ToList(), StringComparer.Ordinal);
            return (byChannel, all, id => [ChannelOf[id]]);
        }
    }

    private sealed class Options
    {
        public required IReadOnlyList<string> Engines { get; init; }

        public int Recipients { get; init; } = 1_000_000;

        public int Import { get; init; } = 100_000;

        public IReadOnlyList<int> Claimers { get; init; } = [1, 4];

        public required IReadOnlySet<string> Only { get; init; }

        /// <summary>The hub's queueing in parts (defaults: above 50,000, first 20,000, then 25,000 each).</summary>
        public required AlertsOptions Alerts { get; init; }

        public bool Runs(string part) => Only.Contains(part);

        public static Options Parse(string[] args)
        {
            string? Value(string name)
            {
                var i = Array.IndexOf(args, name);
                return i < 0 ? null : i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} needs a value.");
            }

            foreach (var arg in args.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            {
                if (arg is not ("--engine" or "--recipients" or "--import" or "--claimers" or "--only" or "--parts"))
                {
                    throw new ArgumentException($"Unknown option {arg}.");
                }
            }

            var engines = (Value("--engine") ?? "both") switch
            {
                "sqlite" => new[] { StorageOptions.SqliteEngine },
                "postgres" => [StorageOptions.PostgresEngine],
                "both" => [StorageOptions.SqliteEngine, StorageOptions.PostgresEngine],
                var other => throw new ArgumentException($"--engine takes sqlite, postgres or both, got '{other}'."),
            };
            int Int(string name, int fallback, int min) =>
                Value(name) is { } v
                    ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min ? n : throw new ArgumentException($"{name} takes a whole number ≥ {min}, got '{v}'.")
                    : fallback;
            var claimers = (Value("--claimers") ?? "1,4").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(c => int.TryParse(c, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 64 ? n : throw new ArgumentException($"--claimers takes counts from 1 to 64, got '{c}'."))
                .ToList();
            var only = (Value("--only") ?? "import,outbox,claim").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            if (only.Except(["import", "outbox", "claim"]).FirstOrDefault() is { } unknown)
            {
                throw new ArgumentException($"--only takes import, outbox and claim, got '{unknown}'.");
            }

            var alerts = new AlertsOptions();
            if (Value("--parts") is { } parts)
            {
                // above,first,size: e.g. 5000,1000,2000 exercises the parts with a small outbox.
                var p = parts.Split(',').Select(x => int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : -1).ToArray();
                if (p.Length != 3 || p.Any(n => n < 1))
                {
                    throw new ArgumentException($"--parts takes ABOVE,FIRST,SIZE (Alerts:QueueInPartsAbove, FirstPart, PartSize), got '{parts}'.");
                }

                alerts.QueueInPartsAbove = p[0];
                alerts.FirstPart = p[1];
                alerts.PartSize = p[2];
            }

            return new Options
            {
                Alerts = alerts,
                Engines = engines,
                Recipients = Int("--recipients", 1_000_000, 1),
                Import = Int("--import", 100_000, 0),
                Claimers = claimers,
                Only = only,
            };
        }
    }
}
