using AlertHub.Tests.Shared.Servers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.RegularExpressions;
using AlertHub.Core.Targeting;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Benchmarks.PostGis;

/// <summary>
/// <c>postgis</c> mode: the same area × audience query (real Yokote polygon × householdTags any [elderly, children],
/// residents with at least one channel) answered by the hub's <see cref="ResidentIndex"/> and by PostGIS
/// (<c>ST_Covers</c> over a GiST index on the same points) in one run. Checks both return the same resident ids,
/// prints the median times and the ratio. Target: hub ≥ 10× faster than PostGIS and ≤ 50 ms at 1,000,000 residents.
/// </summary>
/// <remarks>
/// PostGIS gets its best plausible layout rather than a normalised one: one row per place carrying the resident's
/// household tags (text[] with a GIN index) and a reachable flag, so the query needs no join; the polygon is passed as
/// a parameter so PostGIS caches it as a prepared geometry; JIT is off (it only adds compile time to a one-shot query);
/// shared_buffers holds the whole table and the table is vacuumed so visibility checks are cheap. The hub answers
/// in-process and PostGIS over a unix socket; both return the full id list, not just a count. Both run on one thread:
/// the planner picks no parallel workers for these plans (see <c>--explain</c>), and the hub's query is sequential.
/// Run: <c>dotnet run -c Release --project tests/AlertHub.Benchmarks -- postgis [--residents 100000] [--runs 5] [--explain]</c>.
/// Needs <c>postgresql-15 postgresql-15-postgis-3</c> (exit 2 with the apt-get line when missing); as root the server
/// runs as the package's <c>postgres</c> user (see <see cref="PostgresCluster"/>). Exit 1 when the resident sets differ.
/// </remarks>
internal static partial class PostGisComparison
{
    private const string AptLine = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 postgresql-15-postgis-3";
    private static readonly string[] AudienceTags = ["elderly", "children"];

    // Throwaway cluster: durability off (it is deleted at the end), memory enough to keep 2M rows and indexes hot.
    private static readonly string[] ServerSettings =
    [
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "shared_buffers = 1GB",
        "maintenance_work_mem = 512MB",
        "work_mem = 128MB",
        "max_wal_size = 8GB",
        "jit = off",
        "autovacuum = off",
    ];

    private const string PlainSql = """
        SELECT DISTINCT resident_id FROM places
        WHERE reachable AND household && @tags AND ST_Covers(ST_GeomFromEWKB(@area), geom)
        """;

    // The usual PostGIS advice for big polygons: cut into small parts so each GiST probe and each point test is cheap.
    // The hits are materialised before the audience filter because otherwise the planner (which estimates ~200 rows
    // per part) re-runs the GIN bitmap once per part, which is slower than the plain query.
    private const string SubdividedSql = """
        WITH parts AS MATERIALIZED (SELECT ST_Subdivide(ST_GeomFromEWKB(@area), 128) AS g),
        hits AS MATERIALIZED (SELECT p.resident_id, p.household, p.reachable FROM parts JOIN places p ON ST_Covers(parts.g, p.geom))
        SELECT DISTINCT resident_id FROM hits WHERE reachable AND household && @tags
        """;

    internal static async Task<int> Run(string[] args)
    {
        if (Options.Parse(args) is not { } options)
        {
            Console.WriteLine("usage: postgis [--residents N (default 1000000)] [--runs N (default 5)] [--explain (EXPLAIN ANALYZE both PostGIS queries)]");
            return 2;
        }

        var (residentCount, runs) = (options.Residents, options.Runs);

        if (TargetingBenchmarks.BoundaryPath is not { } boundaryPath)
        {
            Console.WriteLine("../shared not found (no geo/boundaries/yokote_05203_boundary_n03-2017.geojson next to the repository; set ALERTHUB_SHARED_DIR). Nothing to compare.");
            return 0;
        }

        if (PostgresCluster.FindBinaries() is not { } bin)
        {
            Console.WriteLine("PostgreSQL with PostGIS not found under /usr/lib/postgresql/N/bin. Install it (as root):");
            Console.WriteLine($"  {AptLine}");
            return 2;
        }

        var yokote = TargetingBenchmarks.LoadBoundary(boundaryPath);
        yokote.SRID = 4326;
        var areaEwkb = new WKBWriter(ByteOrder.LittleEndian, handleSRID: true).Write(yokote);
        Console.WriteLine($"Residents: {residentCount:N0} synthetic (places 1–3), Yokote boundary {yokote.NumPoints:N0} vertices; PostgreSQL from {bin}");

        var residents = SyntheticResidents.Create(residentCount);
        var query = new TargetQuery(
            [new PolygonShape("05203", "横手市", yokote)],
            new AudienceFilter(HouseholdTags: new TagFilter(Any: AudienceTags)),
            CollectRecipients: true);

        // Hub first, then free nothing: the residents list is reused for the COPY.
        var (index, buildTime, _) = TargetingBenchmarks.Build(residents);
        Console.WriteLine($"Hub: BulkUpsert {buildTime.TotalMilliseconds:N0} ms");
        var hubResult = index.Query(query);
        var hubMs = Median(runs * 2, () => index.Query(query).Recipients, warmup: 3);
        Console.WriteLine($"Hub: {hubResult.Recipients:N0} recipients ({hubResult.Unreachable:N0} unreachable), median {hubMs:N2} ms over {runs * 2} runs");

        PostgresCluster cluster;
        try
        {
            cluster = await PostgresCluster.StartAsync(bin, ServerSettings);
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine($"Could not start a throwaway PostgreSQL cluster: {e.Message}");
            return 2;
        }

        await using (cluster)
        {
            try
            {
                return await CompareAsync(cluster, residents, areaEwkb, hubResult, hubMs, options);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                Console.WriteLine($"PostgreSQL failed: {e.Message}");
                Console.WriteLine(cluster.LogTail());
                return 2;
            }
        }
    }

    private static async Task<int> CompareAsync(PostgresCluster cluster, List<ResidentProfile> residents, byte[] areaEwkb, TargetResult hubResult, double hubMs, Options options)
    {
        var runs = options.Runs;
        await using var dataSource = NpgsqlDataSource.Create(cluster.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync();
        await ExecuteAsync(connection, "CREATE EXTENSION postgis");
        await using (var version = new NpgsqlCommand("SELECT postgis_full_version()", connection))
        {
            var full = (string?)await version.ExecuteScalarAsync() ?? "";
            Console.WriteLine($"PostGIS: {connection.PostgreSqlVersion} / {full.Split(' ').Take(2).LastOrDefault()?.Trim('"')} on {cluster.Root} (port {cluster.Port})");
        }

        await ExecuteAsync(connection, """
            CREATE TABLE places (
                resident_id uuid NOT NULL,
                geom geometry(Point, 4326) NOT NULL,
                household text[] NOT NULL,
                reachable boolean NOT NULL)
            """);

        var stopwatch = Stopwatch.StartNew();
        var rows = await CopyAsync(connection, residents);
        var copyTime = stopwatch.Elapsed;
        stopwatch.Restart();
        await ExecuteAsync(connection, "CREATE INDEX places_geom ON places USING gist (geom)");
        var gistTime = stopwatch.Elapsed;
        stopwatch.Restart();
        await ExecuteAsync(connection, "CREATE INDEX places_household ON places USING gin (household)");
        var ginTime = stopwatch.Elapsed;
        stopwatch.Restart();
        await ExecuteAsync(connection, "VACUUM (ANALYZE) places");
        var vacuumTime = stopwatch.Elapsed;
        Console.WriteLine($"PostGIS load: {rows:N0} place rows by binary COPY {copyTime.TotalSeconds:N1} s, GiST {gistTime.TotalSeconds:N1} s, GIN {ginTime.TotalSeconds:N1} s, VACUUM ANALYZE {vacuumTime.TotalSeconds:N1} s (total {(copyTime + gistTime + ginTime + vacuumTime).TotalSeconds:N1} s)");

        await using var plain = Command(connection, PlainSql, areaEwkb);
        await using var subdivided = Command(connection, SubdividedSql, areaEwkb);
        await PrintPlanAsync(connection, "ST_Covers", PlainSql, areaEwkb, options.Explain);
        if (options.Explain)
        {
            await PrintPlanAsync(connection, "ST_Subdivide + ST_Covers", SubdividedSql, areaEwkb, analyze: true);
        }

        var postGisIds = await ReadIdsAsync(plain);
        var (plainMs, _) = await MedianAsync(runs, () => ReadIdsAsync(plain));
        var subdividedIds = await ReadIdsAsync(subdivided);
        var (subdividedMs, _) = await MedianAsync(runs, () => ReadIdsAsync(subdivided));

        var hubIds = hubResult.RecipientIds.ToHashSet();
        var plainAgrees = Report("PostGIS ST_Covers", hubIds, postGisIds, residents);
        var subdividedAgrees = Report("PostGIS ST_Subdivide + ST_Covers", hubIds, subdividedIds, residents);

        Console.WriteLine();
        Console.WriteLine($"Yokote polygon × householdTags any [elderly, children], {residents.Count:N0} residents ({rows:N0} places):");
        Console.WriteLine($"  hub ResidentIndex                 {hubMs,10:N2} ms  ({hubIds.Count:N0} residents)");
        Console.WriteLine($"  PostGIS ST_Covers + GiST          {plainMs,10:N2} ms  ({postGisIds.Count:N0} residents)  → hub {plainMs / hubMs:N1}× faster");
        Console.WriteLine($"  PostGIS ST_Subdivide(128) + GiST  {subdividedMs,10:N2} ms  ({subdividedIds.Count:N0} residents)  → hub {subdividedMs / hubMs:N1}× faster");
        Console.WriteLine($"  target hub ≥ 10× faster than ST_Covers: {(plainMs / hubMs >= 10 ? "met" : "NOT met")}; hub ≤ 50 ms: {(hubMs <= 50 ? "met" : "NOT met")}{(residents.Count < TargetingBenchmarks.ResidentCount ? " (the targets are for 1,000,000 residents)" : "")}");
        return plainAgrees && subdividedAgrees ? 0 : 1;
    }

    private static async Task<long> CopyAsync(NpgsqlConnection connection, List<ResidentProfile> residents)
    {
        long rows = 0;
        var point = new byte[25];
        await using var writer = await connection.BeginBinaryImportAsync("COPY places (resident_id, geom, household, reachable) FROM STDIN (FORMAT BINARY)");
        foreach (var resident in residents)
        {
            var household = resident.HouseholdTags as string[] ?? [.. resident.HouseholdTags];
            var reachable = resident.Channels.Count > 0;
            foreach (var place in resident.Places)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(resident.Id, NpgsqlDbType.Uuid);
                // geometry's binary input is (E)WKB, so the point goes over as bytea without the NetTopologySuite plugin.
                await writer.WriteAsync(PointEwkb(point, place.Lon, place.Lat), NpgsqlDbType.Bytea);
                await writer.WriteAsync(household, NpgsqlDbType.Array | NpgsqlDbType.Text);
                await writer.WriteAsync(reachable, NpgsqlDbType.Boolean);
                rows++;
            }
        }

        await writer.CompleteAsync();
        return rows;
    }

    /// <summary>Little-endian EWKB Point with SRID 4326 (x = lon, y = lat, as the hub reads GeoJSON).</summary>
    private static byte[] PointEwkb(byte[] buffer, double lon, double lat)
    {
        const uint pointWithSrid = 0x20000001;
        buffer[0] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(1), pointWithSrid);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(5), 4326);
        BinaryPrimitives.WriteDoubleLittleEndian(buffer.AsSpan(9), lon);
        BinaryPrimitives.WriteDoubleLittleEndian(buffer.AsSpan(17), lat);
        return buffer;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, byte[] areaEwkb)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter("area", NpgsqlDbType.Bytea) { Value = areaEwkb });
        command.Parameters.Add(new NpgsqlParameter("tags", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = AudienceTags });
        return command;
    }

    private static async Task PrintPlanAsync(NpgsqlConnection connection, string name, string sql, byte[] areaEwkb, bool analyze)
    {
        await using var explain = Command(connection, (analyze ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN ") + sql, areaEwkb);
        await using var reader = await explain.ExecuteReaderAsync();
        Console.WriteLine($"PostGIS plan ({name}):");
        while (await reader.ReadAsync())
        {
            // The planner folds the polygon into a 120 kB hex literal; keep the plan readable.
            Console.WriteLine($"  {LongHex().Replace(reader.GetString(0), m => $"{m.Value[..16]}…({m.Length / 2:N0} bytes)")}");
        }
    }

    [GeneratedRegex("[0-9A-F]{64,}")]
    private static partial Regex LongHex();

    private static async Task<HashSet<Guid>> ReadIdsAsync(NpgsqlCommand command)
    {
        var ids = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private static bool Report(string name, HashSet<Guid> hub, HashSet<Guid> other, List<ResidentProfile> residents)
    {
        if (hub.SetEquals(other))
        {
            Console.WriteLine($"{name}: same {other.Count:N0} residents as the hub");
            return true;
        }

        var byId = residents.ToDictionary(r => r.Id);
        var onlyHub = hub.Where(id => !other.Contains(id)).ToList();
        var onlyOther = other.Where(id => !hub.Contains(id)).ToList();
        Console.WriteLine($"{name}: DIFFERENT residents — hub {hub.Count:N0}, {name} {other.Count:N0}; only in hub {onlyHub.Count:N0}, only in {name} {onlyOther.Count:N0}");
        foreach (var (label, ids) in new[] { ("only hub", onlyHub), ("only PostGIS", onlyOther) })
        {
            foreach (var id in ids.Take(5))
            {
                var r = byId[id];
                var places = string.Join(" ", r.Places.Select(p => $"({p.Lat:R},{p.Lon:R})"));
                Console.WriteLine($"  {label}: {id} household [{string.Join(',', r.HouseholdTags)}] channels {r.Channels.Count} places {places}");
            }
        }

        return false;
    }

    private static double Median(int runs, Func<int> action, int warmup)
    {
        for (var i = 0; i < warmup; i++)
        {
            action();
        }

        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return MedianOf(times);
    }

    /// <summary>One warm-up (the first call above already warmed the cache), then the median of <paramref name="runs"/>.</summary>
    private static async Task<(double Ms, int Count)> MedianAsync(int runs, Func<Task<HashSet<Guid>>> action)
    {
        var count = (await action()).Count;
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            count = (await action()).Count;
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return (MedianOf(times), count);
    }

    private static double MedianOf(double[] times)
    {
        Array.Sort(times);
        return times.Length % 2 == 1 ? times[times.Length / 2] : (times[(times.Length / 2) - 1] + times[times.Length / 2]) / 2;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private sealed record Options(int Residents, int Runs, bool Explain)
    {
        public static Options? Parse(string[] args)
        {
            var options = new Options(TargetingBenchmarks.ResidentCount, 5, Explain: false);
            for (var i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--residents" when i + 1 < args.Length && int.TryParse(args[i + 1].Replace("_", "").Replace(",", ""), out var n) && n > 0:
                        options = options with { Residents = n };
                        i++;
                        break;
                    case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r is > 0 and <= 100:
                        options = options with { Runs = r };
                        i++;
                        break;
                    case "--explain":
                        options = options with { Explain = true };
                        break;
                    default:
                        Console.WriteLine($"unknown or invalid argument: {args[i]}");
                        return null;
                }
            }

            return options;
        }
    }
}
