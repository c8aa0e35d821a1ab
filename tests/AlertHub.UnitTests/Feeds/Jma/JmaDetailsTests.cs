using System.Text;
using AlertHub.Core.Feeds;
using AlertHub.Core.Feeds.Jma;
using static AlertHub.UnitTests.Feeds.Jma.JmaTestXml;

namespace AlertHub.UnitTests.Feeds.Jma;

/// <summary>What staff and rules need beyond the areas, from the real JMA telegrams in <c>../shared/fixtures/feeds/jma</c>.</summary>
public sealed class JmaDetailsTests
{
    [JmaFixtureTheory]
    [InlineData("20220918154907_08013775_VTSE41.xml")]
    public void Vtse41_TsunamiAdvisory_KeepsFirstArrivalAndMaxHeightPerForecastArea(string file)
    {
        var e = ParseFixture(file);

        var yaeyama = e.Area("802").Tsunami!;
        Assert.Equal(new DateTimeOffset(2022, 9, 18, 16, 0, 0, TimeSpan.FromHours(9)), yaeyama.FirstArrival);
        Assert.Null(yaeyama.ArrivalCondition);
        Assert.Equal((1d, "１ｍ"), (yaeyama.MaxHeightMeters, yaeyama.MaxHeightText));
        var izu = e.Area("320").Tsunami!;
        Assert.Null(izu.FirstArrival);
        Assert.Equal((0.2, "０．２ｍ未満"), (izu.MaxHeightMeters, izu.MaxHeightText));
    }

    [JmaFixtureTheory]
    [InlineData("32-39_11_02_250206_VTSE41.xml")]
    public void Vtse41_GreatTsunami_KeepsArrivalConditionsAndUnknownHeightsAsWords(string file)
    {
        var e = ParseFixture(file);

        var forecasts = e.Areas.Select(a => a.Tsunami).OfType<TsunamiForecast>().ToList();
        Assert.Equal(e.Areas.Count, forecasts.Count);
        Assert.Contains(forecasts, f => f.ArrivalCondition == "津波到達中と推測" && f.MaxHeightText == "巨大" && f.MaxHeightMeters is null);
        Assert.Contains(forecasts, f => f.FirstArrival == new DateTimeOffset(2011, 3, 11, 15, 0, 0, TimeSpan.FromHours(9)));
        Assert.Contains(forecasts, f => f.MaxHeightText == "高い");
    }

    [JmaFixtureTheory]
    [InlineData("16_01_01_220728_VXKOii.xml")]
    public void Vxko_KeepsRiverNamesAndPrefectureCodes(string file)
    {
        var e = ParseFixture(file);

        Assert.Equal([new NamedCode("1234567890", "○○川"), new NamedCode("9876543210", "△△川")], e.Jma!.Rivers);
        Assert.Equal([new NamedCode("990000", "○○県"), new NamedCode("990000", "△△県")], e.Jma.Prefectures);
        Assert.Equal("○○河川事務所 ○○地方気象台 △△地方気象台", e.Jma.PublishingOffice);
        // Neither widens targeting: the areas are still the forecast zone and the inundated municipalities.
        Assert.DoesNotContain(e.Areas, a => a.Code is "990000" or "1234567890");
    }

    [JmaFixtureTheory]
    [InlineData("20231120170318_06797589_VXSE53.xml")]
    public void FarFieldVxse53_KeepsTheHypocentresDetailedNameAndTsunamiStatement(string file)
    {
        var e = ParseFixture(file);

        Assert.Equal("ニューギニア付近", e.Earthquake!.Hypocenter);
        Assert.Equal("パプアニューギニア、ニューブリテン", e.Earthquake.HypocenterDetail);
        Assert.Equal("日本への津波の有無については現在調査中です。", e.Earthquake.TsunamiComment);
        Assert.Equal(["0229"], e.Earthquake.TsunamiCommentCodes);
    }

    [JmaFixtureTheory]
    [InlineData("32-35_06_03_240613_VXSE53.xml")]
    public void Vxse53_KeepsTheTsunamiStatementWithItsCodes(string file)
    {
        var e = ParseFixture(file);

        Assert.Equal("この地震による津波の心配はありません。\nこの地震について、緊急地震速報を発表しています。", e.Earthquake!.TsunamiComment);
        Assert.Equal(["0215", "0241"], e.Earthquake.TsunamiCommentCodes);
        Assert.Null(e.Earthquake.HypocenterDetail);
    }

    [JmaFixtureTheory]
    [InlineData("19_06_01_140425_VPHW51.xml", true)]
    [InlineData("19_03_01_130906_VPHW50.xml", false)]
    [InlineData("19_08_03_250630_VPHW50.xml", false)]
    public void Tornado_WitnessedFlag(string file, bool witnessed)
    {
        Assert.Equal(witnessed, ParseFixture(file).Jma!.TornadoWitnessed);
    }

    [JmaFixtureTheory]
    [InlineData("15_08_05_130412_VPWW53.xml")]
    public void HeavyRainEmergencyWarning_IsLevel5_StormSurgeEmergencyLevel4(string file)
    {
        var lifted = ParseFixture(file);
        Assert.All(lifted.Areas, a => Assert.Null(a.AlertLevel)); // as JMA sent it: every 大雨特別警報 is 解除

        var issued = Parse(Encoding.UTF8.GetString(File.ReadAllBytes(FixturePath(file)))
            .Replace("<Name>大雨特別警報</Name>\n<Code>33</Code>\n<Status>解除</Status>", "<Name>大雨特別警報</Name>\n<Code>33</Code>\n<Status>発表</Status>", StringComparison.Ordinal));

        var nara = issued.Area("290000");
        Assert.Equal(["大雨特別警報"], nara.Kinds);
        Assert.Equal((EventSeverity.Extreme, 5), (nara.Severity, nara.AlertLevel));
        Assert.Equal(5, issued.AlertLevel);
        Assert.Equal(4, JmaWarnings.StatedLevel("高潮特別警報"));
        Assert.Null(JmaWarnings.StatedLevel("暴風特別警報"));
        Assert.Equal(3, JmaWarnings.StatedLevel("レベル３大雨警報"));
    }

    [JmaFixtureTheory]
    [InlineData("32-35_06_03_240613_VXSE53.xml")]
    public void ReportDateTime_IsKeptApartFromControlDateTime(string file)
    {
        var e = ParseFixture(file);

        Assert.Equal(new DateTimeOffset(2008, 6, 13, 23, 47, 47, TimeSpan.Zero), e.IssuedAt); // Control/DateTime
        Assert.Equal(new DateTimeOffset(2008, 6, 14, 8, 47, 0, TimeSpan.FromHours(9)), e.ReportedAt); // Head/ReportDateTime, JST as written
        Assert.Equal(TimeSpan.FromHours(9), e.ReportedAt!.Value.Offset);
        Assert.Equal(("20080614084350", "1", "地震情報"), (e.Jma!.EventId, e.Jma.Serial, e.Jma.InfoKind));
    }

    [JmaFixtureTheory]
    [InlineData("06_02_01_100514_VPTI50.xml")]
    public void TyphoonInformation_IsKeyedByEventId_SoTwoTyphoonsNeverShareASeries(string file)
    {
        var typhoon8 = ParseFixture(file);
        var typhoon9 = Parse(Encoding.UTF8.GetString(File.ReadAllBytes(FixturePath(file)))
            .Replace("<EventID>TC0910</EventID>", "<EventID>TC0911</EventID>", StringComparison.Ordinal)
            .Replace("台風第８号", "台風第９号", StringComparison.Ordinal));

        Assert.EndsWith("|TC0910", typhoon8.SeriesKey, StringComparison.Ordinal);
        Assert.NotEqual(typhoon8.SeriesKey, typhoon9.SeriesKey);
        Assert.Equal("TC0911", typhoon9.Jma!.EventId);
    }
}
