using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AlertHub.IntegrationTests.Storage;

namespace AlertHub.IntegrationTests.Infrastructure;

/// <summary>
/// The store engine of the hubs a test starts. Host tests run on SQLite; <c>PostgresHostTests</c> runs a subset of them again
/// inside <see cref="RunOnPostgresAsync"/>, and every hub they start (in process or as its own process) then runs on the
/// run's throwaway PostgreSQL cluster, with one database per data directory so that a restarted hub finds its data.
/// </summary>
public static class TestEngine
{
    private static readonly AsyncLocal<bool> OnPostgres = new();
    private static readonly AsyncLocal<StrongBox<int>?> HubsOnPostgres = new();
    private static readonly ConcurrentDictionary<string, Lazy<string>> Databases = new();

    public static bool IsPostgres => OnPostgres.Value;

    public static async Task RunOnPostgresAsync(Func<Task> test)
    {
        OnPostgres.Value = true;
        var hubs = HubsOnPostgres.Value = new StrongBox<int>();
        try
        {
            await test();
        }
        finally
        {
            OnPostgres.Value = false;
            HubsOnPostgres.Value = null;
        }

        // A test that started its hub outside this scope would have run on SQLite and proven nothing about PostgreSQL.
        if (hubs.Value == 0)
        {
            throw new InvalidOperationException("The test started no hub on PostgreSQL.");
        }
    }

    /// <summary>The settings that put a hub keeping its files in <paramref name="dataDirectory"/> on this test's engine.</summary>
    public static IReadOnlyDictionary<string, string?> SettingsFor(string dataDirectory)
    {
        if (!IsPostgres)
        {
            return new Dictionary<string, string?>();
        }

        if (HubsOnPostgres.Value is { } hubs)
        {
            Interlocked.Increment(ref hubs.Value);
        }

        return new Dictionary<string, string?>
        {
            ["Storage:Engine"] = "postgres",
            ["ConnectionStrings:AlertHub"] = ConnectionStringFor(dataDirectory),
        };
    }

    /// <summary>The PostgreSQL database of the hub keeping its files in <paramref name="dataDirectory"/> (made on first use).</summary>
    public static string ConnectionStringFor(string dataDirectory) =>
        Databases.GetOrAdd(dataDirectory, _ => new Lazy<string>(() => PostgresServer.NewDatabaseAsync().GetAwaiter().GetResult())).Value;
}
