namespace AlertHub.MobileSim.DemoGeo;

/// <summary>
/// The handful of hard-coded facts the synthetic demo areas are built from. Centres are rounded means of
/// each former municipality's 町字 representative points; everything else is drawn by hand and is
/// deliberately NOT the official boundary (that is imported at run time, see geo/README.md).
/// </summary>
internal static class DemoGeoFacts
{
    public const double CityHallLat = 39.31372;
    public const double CityHallLon = 140.56661;

    /// <summary>Yokote's bounding box; the synthetic outline stays inside it.</summary>
    public const double MinLon = 140.261903, MaxLon = 140.788706, MinLat = 39.092460, MaxLat = 39.409743;

    /// <summary>
    /// Approximate centres of the 8 former municipalities merged into Yokote in 2005 (lat, lon), with the
    /// population share assumed for them (an assumption, not census data; 十文字 and 増田 are the 2020
    /// census shares, the rest are a guess until real e-Stat numbers are added).
    /// </summary>
    public static IReadOnlyList<DistrictFact> Districts { get; } =
    [
        new("横手", 39.324, 140.548, 0.45),
        new("増田", 39.200, 140.570, 0.074),
        new("平鹿", 39.268, 140.496, 0.12),
        new("雄物川", 39.289, 140.432, 0.09),
        new("大森", 39.359, 140.425, 0.055),
        new("十文字", 39.230, 140.491, 0.137),
        new("山内", 39.279, 140.633, 0.029),
        new("大雄", 39.336, 140.474, 0.045),
    ];

    /// <summary>
    /// A hand-drawn 28-vertex outline (lon, lat) that roughly follows the city's shape and covers every 町字
    /// point; it is coarse on purpose so nobody mistakes it for the real boundary.
    /// </summary>
    public static IReadOnlyList<(double Lon, double Lat)> Outline { get; } =
    [
        (140.455, 39.408), (140.49, 39.39), (140.53, 39.372), (140.57, 39.39), (140.61, 39.39),
        (140.65, 39.38), (140.69, 39.35), (140.72, 39.30), (140.77, 39.25), (140.76, 39.20),
        (140.70, 39.185), (140.66, 39.18), (140.68, 39.14), (140.69, 39.105), (140.64, 39.10),
        (140.61, 39.15), (140.57, 39.18), (140.52, 39.175), (140.47, 39.20), (140.42, 39.222),
        (140.37, 39.25), (140.33, 39.27), (140.33, 39.31), (140.30, 39.34), (140.27, 39.365),
        (140.31, 39.385), (140.36, 39.395), (140.40, 39.405),
    ];

    /// <summary>
    /// Synthetic flood zones: rough river courses (lon, lat) buffered by a width in metres. No river geometry
    /// is public for Yokote, so these only follow the rivers' general direction through the town points that
    /// sit beside them (本郷/旭川/清川町/大水戸町 on the 横手川, 今宿/沼館 on the 雄物川).
    /// </summary>
    public static IReadOnlyList<ZoneFact> FloodZones { get; } =
    [
        new("横手川沿い 中心市街地 浸水想定（デモ）", 350,
            [(140.600, 39.296), (140.580, 39.305), (140.569, 39.311), (140.561, 39.317), (140.555, 39.330), (140.545, 39.352)]),
        new("横手川上流 山内 浸水想定（デモ）", 200,
            [(140.650, 39.275), (140.630, 39.282), (140.612, 39.290), (140.600, 39.296)]),
        new("雄物川沿い 浸水想定（デモ）", 500,
            [(140.446, 39.205), (140.438, 39.232), (140.424, 39.260), (140.414, 39.285), (140.420, 39.305), (140.434, 39.330), (140.444, 39.360), (140.452, 39.400)]),
        new("皆瀬川沿い 浸水想定（デモ）", 300,
            [(140.575, 39.188), (140.545, 39.200), (140.505, 39.214), (140.470, 39.226), (140.440, 39.236)]),
    ];

    /// <summary>Small synthetic landslide zones on slopes in 山内 and 増田町狙半内.</summary>
    public static IReadOnlyList<ZoneFact> LandslideZones { get; } =
    [
        new("山内大松川 土砂災害警戒（デモ）", 250, [(140.660, 39.336), (140.668, 39.344)]),
        new("山内黒沢 土砂災害警戒（デモ）", 250, [(140.734, 39.250), (140.742, 39.258)]),
        new("山内三又 土砂災害警戒（デモ）", 200, [(140.708, 39.204), (140.716, 39.210)]),
        new("増田町狙半内 土砂災害警戒（デモ）", 300, [(140.646, 39.136), (140.658, 39.143)]),
    ];
}

internal sealed record DistrictFact(string Name, double Lat, double Lon, double PopulationShare)
{
    public string DemoName => Name + "（デモ）";
}

internal sealed record ZoneFact(string Name, double BufferMeters, IReadOnlyList<(double Lon, double Lat)> Line);
