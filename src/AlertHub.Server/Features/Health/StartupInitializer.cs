using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Places;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Targeting;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Health;

/// <summary>
/// Runs before the hub serves: migrate the schema, make sure an admin key exists, load areas (the demo set on
/// a fresh store), the imported 町字 points and the targeting index. /health stays 503 until this finishes.
/// </summary>
internal sealed partial class StartupInitializer(
    Database database,
    ApiKeyStore keys,
    AreaStore areas,
    TownPointStore towns,
    TargetingService targeting,
    HealthState health,
    IOptions<AuthOptions> authOptions,
    IOptions<AreasOptions> areasOptions,
    ILogger<StartupInitializer> logger) : IHostedService
{
    public const string BootstrapKeyFile = "bootstrap-admin.key";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await database.MigrateAsync(cancellationToken);
            await EnsureAdminKeyAsync(cancellationToken);
            await keys.LoadAsync(cancellationToken);
            await areas.LoadAsync(cancellationToken);
            await LoadDemoAreasAsync(cancellationToken);
            await towns.LoadAsync(cancellationToken);
            await targeting.LoadAsync(cancellationToken);
            health.MarkStoreReady();
            LogReady(logger, database.FilePath);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            health.MarkStoreFailed(e.Message);
            LogFailed(logger, e);
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task EnsureAdminKeyAsync(CancellationToken cancellationToken)
    {
        if (await keys.AnyAsync(cancellationToken))
        {
            return;
        }

        var configured = authOptions.Value.BootstrapAdminKey;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            await keys.CreateAsync("bootstrap-admin", StaffRoles.Admin, configured, cancellationToken);
            LogBootstrapConfigured(logger);
            return;
        }

        var generated = ApiKeyStore.NewKey();
        var path = Path.Combine(database.DataDirectory, BootstrapKeyFile);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new FileStream(path, options))
        await using (var writer = new StreamWriter(file))
        {
            await writer.WriteLineAsync(generated);
        }

        await keys.CreateAsync("bootstrap-admin", StaffRoles.Admin, generated, cancellationToken);
        LogBootstrapGenerated(logger, path);
    }

    private async Task LoadDemoAreasAsync(CancellationToken cancellationToken)
    {
        var o = areasOptions.Value;
        if (!o.LoadDemoAreas || await areas.AnyAsync(cancellationToken))
        {
            return;
        }

        var path = o.DemoAreasPath ?? Path.Combine(AppContext.BaseDirectory, "geo", "demo-areas.geojson");
        if (!File.Exists(path))
        {
            LogDemoMissing(logger, path);
            return;
        }

        using var document = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(path, cancellationToken));
        var features = AlertHub.Core.Geo.GeoJsonReader.ReadFeatures(document.RootElement);
        var toAdd = features.Select(f => (
            Name: f.Properties.TryGetValue("name", out var n) ? n.GetString() ?? $"demo {f.Index}" : $"demo {f.Index}",
            Kind: f.Properties.TryGetValue("kind", out var k) ? k.GetString() ?? "custom" : "custom",
            Code: f.Properties.TryGetValue("code", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.String ? c.GetString() : null,
            Geometry: f.Geometry,
            Demo: true)).ToList();
        await areas.AddAsync(toAdd, cancellationToken);
        LogDemoLoaded(logger, toAdd.Count, path);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "AlertHub store ready at {Path}")]
    private static partial void LogReady(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Critical, Message = "AlertHub could not open its store")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bootstrap admin key created from configuration Auth:BootstrapAdminKey")]
    private static partial void LogBootstrapConfigured(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No staff key existed: a bootstrap admin key was generated and written to {Path} (owner-only). Use it as X-Api-Key, create personal keys, then delete the file.")]
    private static partial void LogBootstrapGenerated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} demo areas from {Path}")]
    private static partial void LogDemoLoaded(ILogger logger, int count, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo areas file {Path} not found; starting with no areas")]
    private static partial void LogDemoMissing(ILogger logger, string path);
}
