using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Operation.Union;

namespace AlertHub.MobileSim.DemoGeo;

/// <summary>The demo districts the population is scattered over, and their union (the "city").</summary>
internal sealed class DemoAreaSet
{
    public const string DefaultRelativePath = "geo/demo-areas.geojson";

    private readonly IPreparedGeometry _preparedCity;

    public DemoAreaSet(IReadOnlyList<SimFeature> districts)
    {
        if (districts.Count == 0)
        {
            throw new InvalidDataException("The demo geo file has no features with kind \"district\".");
        }

        Districts = districts;
        City = UnaryUnionOp.Union(districts.Select(d => d.Geometry).ToList());
        _preparedCity = PreparedGeometryFactory.Prepare(City);
    }

    public IReadOnlyList<SimFeature> Districts { get; }

    public Geometry City { get; }

    public bool CityCovers(double lat, double lon) =>
        _preparedCity.Covers(SimGeoJson.Factory.CreatePoint(new Coordinate(lon, lat)));

    public static DemoAreaSet Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        var features = SimGeoJson.ReadFeatureCollection(doc.RootElement);
        return new DemoAreaSet(features.Where(f => f.Kind == "district").ToList());
    }

    public static DemoAreaSet FromGenerator() =>
        new(DemoGeoGenerator.Build()
            .Where(a => a.Kind == "district")
            .Select(a => new SimFeature(a.Name, a.Kind, a.Geometry))
            .ToList());

    /// <summary>
    /// Finds geo/demo-areas.geojson by walking up from the build output and from the working directory,
    /// so `dotnet run` works from the repo root and tests work from their bin folder.
    /// </summary>
    public static string? FindDefaultFile()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, DefaultRelativePath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
