using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Storage;
using AlertHub.Tests.Shared.Servers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AlertHub.Benchmarks.Stores;

/// <summary>
/// One engine's stores exactly as the hub wires them: the hub's own <c>AddStorage</c> with <c>Storage:Engine</c> (and, for
/// PostgreSQL, <c>ConnectionStrings:AlertHub</c> over TCP to 127.0.0.1, as a data centre's hub connects), and the hub's
/// startup step that migrates the schema. The benchmark then asks the provider for <c>AlertHub.Core.Storage</c>'s
/// interfaces, so what it measures is each engine's implementation, not a copy of its SQL.
/// </summary>
internal sealed class BenchEngine : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _directory;

    private BenchEngine(string name, string description, IHost host, string directory)
    {
        Name = name;
        Description = description;
        _host = host;
        _directory = directory;
    }

    /// <summary>"sqlite" or "postgres".</summary>
    public string Name { get; }

    /// <summary>E.g. "SQLite 3.46.1" or "PostgreSQL 15.18".</summary>
    public string Description { get; }

    public IServiceProvider Services => _host.Services;

    public T Get<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    /// <param name="cluster">The run's throwaway cluster (PostgreSQL only): each engine instance gets a fresh database in it.</param>
    public static async Task<BenchEngine> StartAsync(string engine, PostgresCluster? cluster, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "alerthub-store-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Engine"] = engine,
            ["Storage:DataDirectory"] = directory,
        };
        if (engine == StorageOptions.PostgresEngine)
        {
            ArgumentNullException.ThrowIfNull(cluster);
            var database = "bench_" + Guid.NewGuid().ToString("N");
            await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Pooling = false }.ConnectionString))
            {
                await admin.OpenAsync(cancellationToken);
                await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            settings["ConnectionStrings:AlertHub"] = cluster.TcpConnectionString(database) + ";Maximum Pool Size=50";
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = directory,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddStorage();
        var host = builder.Build();
        try
        {
            // Only the store's own steps are registered here: the migrations, as the hub runs them at start.
            foreach (var step in host.Services.GetServices<IStartupStep>().OrderBy(s => s.Order))
            {
                await step.RunAsync(cancellationToken);
            }

            var description = engine == StorageOptions.PostgresEngine
                ? "PostgreSQL " + (await ScalarAsync(host.Services.GetRequiredService<NpgsqlDataSource>(), "SHOW server_version", cancellationToken)).Split(' ', 2)[0]
                : "SQLite " + await SqliteVersionAsync(host.Services.GetRequiredService<Database>(), cancellationToken);
            return new BenchEngine(engine, description, host, directory);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Name == StorageOptions.PostgresEngine)
        {
            await _host.Services.GetRequiredService<NpgsqlDataSource>().DisposeAsync();
        }

        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException e)
        {
            Console.WriteLine($"Could not delete {_directory}: {e.Message}");
        }
    }

    private static async Task<string> ScalarAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<string> SqliteVersionAsync(Database database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
