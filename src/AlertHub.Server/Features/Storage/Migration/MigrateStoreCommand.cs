using Npgsql;

namespace AlertHub.Server.Features.Storage.Migration;

/// <summary>
/// <c>migrate-store --to "&lt;PostgreSQL connection string&gt;"</c>: copies the SQLite hub named by the usual configuration
/// (Storage:DataDirectory, Storage:DatabaseFile) into PostgreSQL, then checks every table's row count on both sides. Run with
/// the hub stopped; run again after an interruption to go on where it stopped.
/// </summary>
internal static class MigrateStoreCommand
{
    public const string Name = "migrate-store";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Name;

    /// <summary>Runs the command; returns the process exit code (0 copied and verified, 1 refused, failed or counts differ, 2 usage).</summary>
    public static async Task<int> RunAsync(IHostApplicationBuilder builder, string[] args, TextWriter? output = null,
        int batchSize = 5000, Action<string, long>? batchCommitted = null, CancellationToken cancellationToken = default)
    {
        output ??= Console.Out;
        var to = ValueOf(args, "--to");
        if (string.IsNullOrWhiteSpace(to))
        {
            await output.WriteLineAsync("""
                usage: AlertHub.Server migrate-store --to "Host=…;Database=…;Username=…;Password=…"
                Copies this hub's SQLite database (Storage:DataDirectory, Storage:DatabaseFile) into an empty PostgreSQL database.
                Stop the hub first. Run it again after an interruption: it continues where it stopped.
                """);
            return 2;
        }

        var options = builder.Configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        var directory = StoragePaths.DataDirectoryOf(options, builder.Environment);
        var file = Path.GetFullPath(Path.Combine(directory, options.DatabaseFile));
        await output.WriteLineAsync($"Copying the SQLite hub {file} into PostgreSQL. The hub must be stopped.");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // The batch in flight rolls back; everything committed stays, and the next run continues from there.
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            NpgsqlDataSource dataSource;
            try
            {
                dataSource = new NpgsqlDataSourceBuilder(to).Build();
            }
            catch (ArgumentException e)
            {
                await output.WriteLineAsync($"The --to connection string is not valid: {e.Message}");
                return 2;
            }

            await using (dataSource)
            {
                var copy = new StoreCopy(file, dataSource, output) { BatchSize = batchSize, BatchCommitted = batchCommitted };
                var counts = await copy.RunAsync(stop.Token);
                await output.WriteLineAsync();
                await output.WriteLineAsync($"{"table",-24} {"source rows",12} {"target rows",12}  ok");
                foreach (var c in counts)
                {
                    await output.WriteLineAsync($"{c.Table,-24} {c.SourceRows,12} {c.TargetRows,12}  {(c.Ok ? "ok" : "MISMATCH")}");
                }

                if (counts.Any(c => !c.Ok))
                {
                    await output.WriteLineAsync("The counts differ: the copy is not complete. Do not start the hub on PostgreSQL; run migrate-store again or report this.");
                    return 1;
                }

                await output.WriteLineAsync($"""

                    Copied and verified. Start the hub with Storage:Engine=postgres, ConnectionStrings:AlertHub set to this database
                    and the same Storage:DataDirectory ({directory}): camera images, drone photos and the data-protection keys that
                    decrypt camera passwords stay there. Keep the SQLite file until the PostgreSQL hub has run well.
                    """);
                return 0;
            }
        }
        catch (StoreCopyException e)
        {
            await output.WriteLineAsync(e.Message);
            return 1;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await output.WriteLineAsync("Stopped. Every batch committed so far is kept; run migrate-store again to continue.");
            return 1;
        }
        catch (Exception e) when (e is NpgsqlException or FormatException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            await output.WriteLineAsync($"The copy stopped: {e.Message}");
            await output.WriteLineAsync("Every batch committed so far is kept; run migrate-store again to continue once the cause is fixed.");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static string? ValueOf(string[] args, string name)
    {
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == name && i + 1 < args.Length)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                return args[i][(name.Length + 1)..];
            }
        }

        return null;
    }
}
