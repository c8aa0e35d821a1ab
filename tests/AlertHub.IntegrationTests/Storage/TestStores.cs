using AlertHub.Server.Features.Storage;
using AlertHub.Storage.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>A fresh, migrated store of each engine for one conformance test, removed again when the test ends.</summary>
internal sealed class TestStores : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private string? _sqliteDirectory;

    /// <summary>An empty SQLite database in a temp folder, migrated as the hub migrates it at start.</summary>
    public async Task<Database> SqliteAsync()
    {
        _sqliteDirectory = Path.Combine(Path.GetTempPath(), "alerthub-store-tests", Guid.NewGuid().ToString("N"));
        var database = new Database(Options.Create(new StorageOptions { DataDirectory = _sqliteDirectory }),
            new HostingEnvironment { ContentRootPath = _sqliteDirectory, EnvironmentName = "Production" });
        await database.MigrateAsync(CancellationToken.None);
        return database;
    }

    /// <summary>An empty PostgreSQL database on the run's throwaway cluster, migrated as the hub migrates it at start.</summary>
    public async Task<NpgsqlDataSource> PostgresAsync()
    {
        var dataSource = NpgsqlDataSource.Create(await PostgresServer.NewDatabaseAsync());
        _owned.Add(dataSource);
        await new PostgresMigrator(dataSource, NullLogger<PostgresMigrator>.Instance).MigrateAsync(CancellationToken.None);
        return dataSource;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        if (_sqliteDirectory is not null)
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_sqliteDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
