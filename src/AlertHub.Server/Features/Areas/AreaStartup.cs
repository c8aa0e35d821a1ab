using AlertHub.Server.Features.Health;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Areas;

/// <summary>A startup step: load the areas, and the demo set on a fresh store (<c>Areas:LoadDemoAreas</c>).</summary>
internal sealed partial class AreaStartup(AreaStore areas, IOptions<AreasOptions> areasOptions, ILogger<AreaStartup> logger) : IStartupStep
{
    public int Order => 200;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await areas.LoadAsync(cancellationToken);
        await LoadDemoAreasAsync(cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} demo areas from {Path}")]
    private static partial void LogDemoLoaded(ILogger logger, int count, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo areas file {Path} not found; starting with no areas")]
    private static partial void LogDemoMissing(ILogger logger, string path);
}
