using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace AlertHub.Core.Feeds.Jma;

/// <summary>Seismology bodies (jmx_seis): VXSE51/52/53 and VTSE41/51.</summary>
internal static partial class JmaQuakes
{
    private const string Unreported = "震度５弱以上未入電";

    private static readonly XNamespace Seis = JmaNames.Seis;
    private static readonly XNamespace Eb = JmaNames.Eb;

    /// <summary>
    /// Earthquake facts and intensity areas: 地震情報／細分区域 (3-digit, with MaxInt) for VXSE51 and VXSE53,
    /// plus 市町村等 City entries for VXSE53. VXSE52 has no intensities.
    /// </summary>
    public static EarthquakeInfo? Read(XElement body, List<EventArea> areas)
    {
        var observation = body.Element(Seis + "Intensity")?.Element(Seis + "Observation");
        string? maxIntensity = null;
        if (observation is not null)
        {
            maxIntensity = Intensity(observation.Element(Seis + "MaxInt"));
            foreach (var area in observation.Elements(Seis + "Pref").Elements(Seis + "Area"))
            {
                AddIntensityArea(areas, "jma-seismic", area);
                foreach (var city in area.Elements(Seis + "City"))
                {
                    AddIntensityArea(areas, "jma-city", city);
                }
            }
        }

        return ReadEarthquake(body, maxIntensity);
    }

    /// <summary>The first Earthquake of the body (VTSE41 may list several; the first opened the series).</summary>
    public static EarthquakeInfo? ReadEarthquake(XElement body, string? maxIntensity)
    {
        var earthquake = body.Element(Seis + "Earthquake");
        if (earthquake is null)
        {
            return maxIntensity is null ? null : new EarthquakeInfo(null, null, null, null, null, null, null, maxIntensity);
        }

        var origin = JmaParser.ParseTime(JmaParser.Text(earthquake.Element(Seis + "OriginTime")));
        var hypocenter = earthquake.Element(Seis + "Hypocenter")?.Element(Seis + "Area");
        var name = JmaParser.Text(hypocenter?.Element(Seis + "Name"));
        var coordinate = hypocenter?.Element(Eb + "Coordinate");
        var (lat, lon, depth) = Coordinate(JmaParser.Text(coordinate), coordinate?.Attribute("description")?.Value);

        var magnitudeElement = earthquake.Element(Eb + "Magnitude");
        double? magnitude = null;
        if (magnitudeElement is not null
            && magnitudeElement.Attribute("condition")?.Value != "不明"
            && double.TryParse(magnitudeElement.Value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var m)
            && double.IsFinite(m))
        {
            magnitude = m;
        }

        var magnitudeText = magnitudeElement?.Attribute("description")?.Value.Trim();
        var forecast = body.Element(Seis + "Comments")?.Element(Seis + "ForecastComment");
        var tsunamiText = JmaParser.Text(forecast?.Element(Seis + "Text"));
        var tsunamiCodes = JmaParser.Text(forecast?.Element(Seis + "Code"))?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new EarthquakeInfo(origin, name, lat, lon, depth, magnitude, string.IsNullOrEmpty(magnitudeText) ? null : magnitudeText, maxIntensity,
            JmaParser.Text(hypocenter?.Element(Seis + "DetailedName")), tsunamiText, tsunamiCodes);
    }

    /// <summary>
    /// Tsunami/Forecast/Item per 津波予報区. Status reads Kind against LastKind: 50/60 or a warning that became
    /// a forecast → 解除, unchanged → 継続, otherwise 発表.
    /// </summary>
    public static void ReadTsunami(XElement body, List<EventArea> areas)
    {
        foreach (var item in body.Elements(Seis + "Tsunami").Elements(Seis + "Forecast").Elements(Seis + "Item"))
        {
            var area = item.Element(Seis + "Area");
            var code = JmaParser.Text(area?.Element(Seis + "Code"));
            if (code is null)
            {
                continue;
            }

            var category = item.Element(Seis + "Category");
            var kindName = JmaParser.Text(category?.Element(Seis + "Kind")?.Element(Seis + "Name"));
            var kindCode = JmaParser.Text(category?.Element(Seis + "Kind")?.Element(Seis + "Code"));
            var lastCode = JmaParser.Text(category?.Element(Seis + "LastKind")?.Element(Seis + "Code"));

            var inEffect = kindCode is not ("50" or "60" or "00" or null) && kindName?.Contains("解除", StringComparison.Ordinal) != true;
            var status = kindCode switch
            {
                "50" or "60" => "解除",
                _ when !inEffect && kindName?.Contains("解除", StringComparison.Ordinal) == true => "解除",
                _ when IsTsunamiWarning(lastCode) && !IsTsunamiWarning(kindCode) => "解除",
                _ when kindCode == lastCode => "継続",
                "00" => "なし",
                _ => "発表",
            };
            var severity = kindCode switch
            {
                "52" or "53" => EventSeverity.Extreme,
                "51" => EventSeverity.Severe,
                "62" => EventSeverity.Moderate,
                _ => EventSeverity.Info,
            };
            areas.Add(new EventArea("jma-tsunami", code, null, JmaParser.Text(area!.Element(Seis + "Name")), status,
                inEffect && kindName is not null ? [kindName] : [], severity, Tsunami: Forecast(item)));
        }
    }

    /// <summary>FirstHeight (ArrivalTime and/or Condition) and MaxHeight/TsunamiHeight of one Forecast/Item; null when it has neither.</summary>
    private static TsunamiForecast? Forecast(XElement item)
    {
        var first = item.Element(Seis + "FirstHeight");
        var arrival = JmaParser.ParseTime(JmaParser.Text(first?.Element(Seis + "ArrivalTime")));
        var condition = JmaParser.Text(first?.Element(Seis + "Condition"));
        var height = item.Element(Seis + "MaxHeight")?.Element(Eb + "TsunamiHeight");
        double? meters = null;
        if (height is not null && height.Attribute("condition")?.Value != "不明"
            && double.TryParse(height.Value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && double.IsFinite(m))
        {
            meters = m;
        }

        var description = height?.Attribute("description")?.Value.Trim();
        return arrival is null && condition is null && height is null
            ? null
            : new TsunamiForecast(arrival, condition, meters, string.IsNullOrEmpty(description) ? null : description);
    }

    /// <summary>No 大津波警報/津波警報/津波注意報 left anywhere, and at least one area was lifted by this telegram.</summary>
    public static bool IsTsunamiAllClear(List<EventArea> areas) =>
        areas.Count > 0
        && areas.All(a => a.Severity == EventSeverity.Info)
        && areas.Any(a => a.Status == "解除");

    private static bool IsTsunamiWarning(string? code) => code is "51" or "52" or "53" or "62";

    private static void AddIntensityArea(List<EventArea> areas, string scheme, XElement element)
    {
        var code = JmaParser.Text(element.Element(Seis + "Code"));
        if (code is null)
        {
            return;
        }

        var measured = Intensity(element.Element(Seis + "MaxInt"));
        var condition = JmaParser.Text(element.Element(Seis + "Condition"));
        var kinds = new List<string>(2);
        if (measured is not null)
        {
            kinds.Add(measured);
        }

        // 震度５弱以上未入電: a station that should have reported 5-弱 or more has not; the area may be at least 5-.
        var unreported = condition == Unreported;
        if (condition is not null)
        {
            kinds.Add(condition);
        }

        var maxIntensity = unreported ? "5-?" : measured;
        var municipality = scheme == "jma-city" ? JmaWarnings.Municipality(code) : null;
        areas.Add(new EventArea(scheme, code, municipality, JmaParser.Text(element.Element(Seis + "Name")), null, kinds,
            IntensitySeverity(maxIntensity), null, maxIntensity));
    }

    private static string? Intensity(XElement? element)
    {
        var value = JmaParser.Text(element);
        return value == Unreported ? "5-?" : value;
    }

    internal static EventSeverity IntensitySeverity(string? intensity) => intensity switch
    {
        "7" or "6+" or "6-" => EventSeverity.Extreme,
        "5+" or "5-" or "5-?" => EventSeverity.Severe,
        "4" => EventSeverity.Moderate,
        "3" => EventSeverity.Minor,
        _ => EventSeverity.Info,
    };

    /// <summary>
    /// ISO 6709 as JMA writes it: "+39.0+140.9-10000/" (depth in metres, negative down), "+23.0+121.1+0/" (ごく浅い → 0 km),
    /// "-05.1+151.3/" (no depth → unknown). An empty value means the hypocentre is unknown.
    /// </summary>
    internal static (double? Lat, double? Lon, double? DepthKm) Coordinate(string? value, string? description)
    {
        if (value is null)
        {
            return (null, null, null);
        }

        var match = Iso6709().Match(value);
        if (!match.Success)
        {
            return (null, null, null);
        }

        var lat = double.Parse(match.Groups["lat"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        var lon = double.Parse(match.Groups["lon"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        double? depth = null;
        if (match.Groups["alt"].Success && description?.Contains("深さ不明", StringComparison.Ordinal) != true)
        {
            var altitude = double.Parse(match.Groups["alt"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            depth = Math.Max(0, -altitude / 1000.0);
        }

        return (lat, lon, depth);
    }

    [GeneratedRegex(@"^(?<lat>[+-]\d{1,2}(?:\.\d+)?)(?<lon>[+-]\d{1,3}(?:\.\d+)?)(?<alt>[+-]\d{1,7}(?:\.\d+)?)?/$", RegexOptions.CultureInvariant)]
    private static partial Regex Iso6709();
}
