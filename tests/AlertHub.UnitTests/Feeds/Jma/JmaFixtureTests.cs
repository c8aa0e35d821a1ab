using AlertHub.Core.Feeds;
using AlertHub.Tests.Shared;
using static AlertHub.UnitTests.Feeds.Jma.JmaTestXml;

namespace AlertHub.UnitTests.Feeds.Jma;

/// <summary>Real JMA telegrams from <c>../shared/fixtures/feeds/jma</c> (provenance in its SOURCES.md).</summary>
public sealed class JmaFixtureTests
{
    /// <summary>Every fixture, what it must become, and whether the hub interprets it.</summary>
    public static TheoryData<string, string, bool, EventLifecycle, Operational, string> Table => new()
    {
        { "06_02_01_100514_VPTI50.xml", "JMA:全般台風情報", false, EventLifecycle.Correction, Operational.Real, "other" },
        { "15_08_05_130412_VPWW53.xml", "JMA:VPWW53", true, EventLifecycle.AllClear, Operational.Real, "weather-warning" },
        { "15_12_01_161130_VPWW53.xml", "JMA:VPWW53", true, EventLifecycle.New, Operational.Real, "weather-warning" },
        { "15_14_01_170216_VPWW53.xml", "JMA:VPWW53", true, EventLifecycle.New, Operational.Real, "weather-warning" },
        { "15_14_01_170216_VPWW54.xml", "JMA:VPWW54", true, EventLifecycle.New, Operational.Real, "weather-warning" },
        { "15_15_01_220314_VPWW54.xml", "JMA:VPWW54", true, EventLifecycle.New, Operational.Real, "weather-warning" },
        { "15_17_01_250630_VPWW55.xml", "JMA:VPWW55", true, EventLifecycle.Update, Operational.Real, "weather-warning" },
        { "15_17_01_250630_VPWW56.xml", "JMA:VPWW56", true, EventLifecycle.New, Operational.Real, "weather-warning" },
        { "16_01_01_220728_VXKOii.xml", "JMA:VXKO", true, EventLifecycle.New, Operational.Real, "flood" },
        { "16_02_02_220728_VXKOii.xml", "JMA:VXKO", true, EventLifecycle.New, Operational.Real, "flood" },
        { "16_04_01_220728_VXKOii.xml", "JMA:VXKO", true, EventLifecycle.Update, Operational.Real, "flood" },
        { "16_06_01_220728_VXKOii.xml", "JMA:VXKO", true, EventLifecycle.Update, Operational.Real, "flood" },
        { "17_02_01_190529_VXWW50.xml", "JMA:VXWW50", true, EventLifecycle.New, Operational.Real, "landslide" },
        { "17_02_02_190529_VXWW50.xml", "JMA:VXWW50", true, EventLifecycle.Update, Operational.Real, "landslide" },
        { "17_02_03_190529_VXWW50.xml", "JMA:VXWW50", true, EventLifecycle.AllClear, Operational.Real, "landslide" },
        { "17_04_01_250630_VXWW50.xml", "JMA:VXWW50", true, EventLifecycle.New, Operational.Real, "landslide" },
        { "18_01_01_100806_VPOA50.xml", "JMA:VPOA50", true, EventLifecycle.New, Operational.Real, "heavy-rain" },
        { "18_03_01_190412_VPOA50.xml", "JMA:VPOA50", true, EventLifecycle.Update, Operational.Real, "heavy-rain" },
        { "19_03_01_130906_VPHW50.xml", "JMA:VPHW50", true, EventLifecycle.New, Operational.Real, "tornado" },
        { "19_06_01_140425_VPHW51.xml", "JMA:VPHW51", true, EventLifecycle.New, Operational.Real, "tornado" },
        { "19_08_03_250630_VPHW50.xml", "JMA:VPHW50", true, EventLifecycle.New, Operational.Real, "tornado" },
        { "20210219010859_0_VXSE51_010000.xml", "JMA:VXSE51", true, EventLifecycle.New, Operational.Real, "earthquake-intensity" },
        { "20210219010945_0_VXSE52_010000.xml", "JMA:VXSE52", true, EventLifecycle.New, Operational.Real, "earthquake-hypocenter" },
        { "20210219011051_0_VXSE53_010000.xml", "JMA:VXSE53", true, EventLifecycle.New, Operational.Real, "earthquake" },
        { "20220918154907_08013775_VTSE41.xml", "JMA:VTSE41", true, EventLifecycle.New, Operational.Real, "tsunami" },
        { "20220918171502_07401528_VTSE41.xml", "JMA:VTSE41", true, EventLifecycle.AllClear, Operational.Real, "tsunami" },
        { "20231120170318_06797589_VXSE53.xml", "JMA:VXSE53", true, EventLifecycle.New, Operational.Real, "earthquake" },
        { "20231120190010_00518357_VXSE53.xml", "JMA:VXSE53", true, EventLifecycle.Update, Operational.Real, "earthquake" },
        { "32-35_01_03_100514_VXSE53.xml", "JMA:VXSE53", true, EventLifecycle.New, Operational.Real, "earthquake" },
        { "32-35_01_03_240613_VXSE53.xml", "JMA:VXSE53", true, EventLifecycle.New, Operational.Exercise, "earthquake" },
        { "32-35_04_03_240613_VXSE52.xml", "JMA:VXSE52", true, EventLifecycle.New, Operational.Real, "earthquake-hypocenter" },
        { "32-35_04_04_240613_VXSE53.xml", "JMA:VXSE53", true, EventLifecycle.New, Operational.Real, "earthquake" },
        { "32-35_06_03_240613_VXSE53.xml", "JMA:VXSE53", true, EventLifecycle.New, Operational.Real, "earthquake" },
        { "32-35_06_06_100915_VXSE53.xml", "JMA:VXSE53", true, EventLifecycle.Cancel, Operational.Real, "earthquake" },
        { "32-35_08_01_100915_VXSE51.xml", "JMA:VXSE51", true, EventLifecycle.New, Operational.Real, "earthquake-intensity" },
        { "32-35_10_01_220510_VXSE51.xml", "JMA:VXSE51", true, EventLifecycle.Cancel, Operational.Real, "earthquake-intensity" },
        { "32-39_11_01_120615_VXSE51.xml", "JMA:VXSE51", true, EventLifecycle.New, Operational.Real, "earthquake-intensity" },
        { "32-39_11_02_250206_VTSE41.xml", "JMA:VTSE41", true, EventLifecycle.New, Operational.Real, "tsunami" },
        { "32-39_11_03_250206_VTSE51.xml", "JMA:VTSE51", true, EventLifecycle.New, Operational.Real, "tsunami" },
        { "32-39_11_13_250206_VTSE41.xml", "JMA:VTSE41", true, EventLifecycle.AllClear, Operational.Real, "tsunami" },
        { "38-39_02_01_250206_VTSE41.xml", "JMA:VTSE41", true, EventLifecycle.New, Operational.Real, "tsunami" },
        { "38-39_02_04_250206_VTSE41.xml", "JMA:VTSE41", true, EventLifecycle.AllClear, Operational.Real, "tsunami" },
        { "38-39_03_01_210805_VTSE41.xml", "JMA:VTSE41", true, EventLifecycle.Cancel, Operational.Real, "tsunami" },
        { "82_01_02_250630_VPBS50.xml", "JMA:VPBS50", true, EventLifecycle.New, Operational.Real, "heavy-rain" },
    };

    [JmaFixtureTheory]
    [MemberData(nameof(Table))]
    public void Parse_EveryFixture_FamilyInterpretationLifecycleStatusAndCategory(
        string file, string family, bool interpreted, EventLifecycle lifecycle, Operational operational, string category)
    {
        var e = ParseFixture(file);

        Assert.Equal(FeedSource.Jma, e.Source);
        Assert.Equal(family, e.Family);
        Assert.Equal(interpreted, e.Interpreted);
        Assert.Equal(lifecycle, e.Lifecycle);
        Assert.Equal(operational, e.Operational);
        Assert.Equal(category, e.Category);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", e.Revision);
        Assert.Equal(TimeSpan.Zero, e.IssuedAt.Offset);
        Assert.False(string.IsNullOrWhiteSpace(e.MainText.Headline));
        Assert.False(string.IsNullOrWhiteSpace(e.MainText.Body));
        Assert.StartsWith(e.TypeCode + " ", e.SourceReference, StringComparison.Ordinal);
        if (!interpreted)
        {
            Assert.Empty(e.Areas);
            Assert.Equal(EventSeverity.Info, e.Severity);
        }
    }

    [SharedDataFact]
    public void Table_CoversEveryFixtureFile()
    {
        var files = Directory.GetFiles(SharedData.Path("fixtures", "feeds", "jma")!, "*.xml").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        var listed = Table.Select(row => (string)row[0]).Order(StringComparer.Ordinal);

        Assert.Equal(files, listed);
    }

    [SharedDataFact]
    public void Vpww53_Tokyo_CityStatusesKindsAndSeverity()
    {
        var e = ParseFixture("15_14_01_170216_VPWW53.xml");

        Assert.Equal("気象特別警報・警報・注意報|気象庁本庁|通常", e.SeriesKey);
        Assert.Equal("2017-01-26T08:20:47Z", e.Revision);
        Assert.Equal(EventSeverity.Extreme, e.Severity);
        Assert.Null(e.ValidUntil);

        var shinjuku = e.Area("1310400");
        Assert.Equal(("jma-city", "13104", "新宿区", "発表"), (shinjuku.Scheme, shinjuku.Municipality, shinjuku.Name, shinjuku.Status));
        Assert.Equal(["大雨特別警報"], shinjuku.Kinds);
        Assert.Equal(EventSeverity.Extreme, shinjuku.Severity);

        var chiyoda = e.Area("1310100");
        Assert.Equal("発表警報・注意報はなし", chiyoda.Status);
        Assert.Empty(chiyoda.Kinds);
        Assert.Equal(EventSeverity.Info, chiyoda.Severity);

        var arakawa = e.Area("1311800");
        Assert.Equal(["大雨警報", "洪水警報"], arakawa.Kinds);
        Assert.Equal(EventSeverity.Moderate, arakawa.Severity);

        var tokyo = e.Area("130000");
        Assert.Equal(("jma-forecast", (string?)null), (tokyo.Scheme, tokyo.Municipality));
        Assert.Equal(EventSeverity.Extreme, tokyo.Severity);
        Assert.Contains("特別警報", e.MainText.Body, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void Vpww53AndVpww54_SameWarning_SameAreasAndKindsButDifferentFamilyAndSeries()
    {
        // Issued in pairs for one event (reference §1.5.1): consumers subscribe to one family, so the two must not share a series.
        var v53 = ParseFixture("15_14_01_170216_VPWW53.xml");
        var v54 = ParseFixture("15_14_01_170216_VPWW54.xml");

        Assert.NotEqual(v53.Family, v54.Family);
        Assert.NotEqual(v53.SeriesKey, v54.SeriesKey);
        Assert.Equal(v53.Revision, v54.Revision);
        Assert.Equal(
            v53.Areas.Select(a => (a.Code, a.Status, string.Join(",", a.Kinds), a.Severity)),
            v54.Areas.Select(a => (a.Code, a.Status, string.Join(",", a.Kinds), a.Severity)));
    }

    [SharedDataFact]
    public void Vpww53_Nara_EveryAreaLifted_AllClear()
    {
        var e = ParseFixture("15_08_05_130412_VPWW53.xml");

        Assert.Equal(EventLifecycle.AllClear, e.Lifecycle);
        Assert.All(e.Areas, a => Assert.Empty(a.Kinds));
        Assert.Equal("解除", e.Area("2920100").Status);
        Assert.Equal("発表警報・注意報はなし", e.Area("2920300").Status);
    }

    [SharedDataFact]
    public void Vpww55_R06HeavyRain_LevelNamesCarryAlertLevel()
    {
        var e = ParseFixture("15_17_01_250630_VPWW55.xml");

        Assert.Equal("VPWW55", e.TypeCode);
        Assert.Equal("気象警報・注意報（Ｒ０６）（大雨）|松江地方気象台|通常", e.SeriesKey);
        var matsue = e.Area("3220100");
        Assert.Equal(("継続", 3, EventSeverity.Moderate), (matsue.Status, matsue.AlertLevel, matsue.Severity));
        Assert.Equal(["レベル３大雨警報"], matsue.Kinds);
        Assert.Contains(e.Areas, a => a.Kinds.Contains("レベル２大雨注意報") && a.AlertLevel == 2 && a.Severity == EventSeverity.Minor);
        Assert.Equal(3, e.AlertLevel);
        Assert.Equal(EventSeverity.Moderate, e.Severity);
    }

    [SharedDataFact]
    public void Vpww56_R06Landslide_DangerWarningIsLevel4Severe()
    {
        var e = ParseFixture("15_17_01_250630_VPWW56.xml");

        Assert.Equal("VPWW56", e.TypeCode);
        var level4 = e.Areas.Where(a => a.Scheme == "jma-city" && a.Kinds.Contains("レベル４土砂災害危険警報")).ToList();
        Assert.NotEmpty(level4);
        Assert.All(level4, a => Assert.Equal((4, EventSeverity.Severe), (a.AlertLevel, a.Severity)));
        Assert.Contains(e.Areas, a => a.Scheme == "jma-city" && a.Kinds.SequenceEqual(["レベル２土砂災害注意報"]) && a.AlertLevel == 2);
        Assert.Equal((4, EventSeverity.Severe), (e.AlertLevel, e.Severity));
    }

    [SharedDataFact]
    public void Vxww50_Sequence_IssueContinueAllClear_OneSeries()
    {
        var first = ParseFixture("17_02_01_190529_VXWW50.xml");
        var second = ParseFixture("17_02_02_190529_VXWW50.xml");
        var third = ParseFixture("17_02_03_190529_VXWW50.xml");

        Assert.Equal("土砂災害警戒情報|函館地方気象台|通常|渡島・檜山地方土砂災害警戒情報", first.SeriesKey);
        Assert.Equal(first.SeriesKey, second.SeriesKey);
        Assert.Equal(first.SeriesKey, third.SeriesKey);
        Assert.True(string.CompareOrdinal(first.Revision, second.Revision) < 0);
        Assert.True(string.CompareOrdinal(second.Revision, third.Revision) < 0);
        Assert.Equal([EventLifecycle.New, EventLifecycle.Update, EventLifecycle.AllClear], [first.Lifecycle, second.Lifecycle, third.Lifecycle]);

        var matsumae = first.Area("0133100");
        Assert.Equal(("発表", 4, EventSeverity.Severe, "01331"), (matsumae.Status, matsumae.AlertLevel, matsumae.Severity, matsumae.Municipality));
        Assert.Equal(["土砂災害警戒情報"], matsumae.Kinds);
        Assert.Equal("継続", second.Area("0133100").Status);
        Assert.Equal("発表", second.Area("0133300").Status);
        Assert.Equal("解除", third.Area("0133100").Status);
        Assert.Equal(EventSeverity.Info, third.Severity);
        Assert.Equal("01346", first.Area("0134601").Municipality);
    }

    [SharedDataFact]
    public void Vxww50_2026Title_KeyedOnControlTitleAndSplitCityAreasMapToTheirMunicipality()
    {
        var e = ParseFixture("17_04_01_250630_VXWW50.xml");

        Assert.Equal("神奈川県レベル４土砂災害危険警報", e.MainText.Headline);
        Assert.Equal("JMA:VXWW50", e.Family);
        Assert.Equal("14100", e.Area("1410011").Municipality);
        Assert.Equal("14100", e.Area("1410012").Municipality);
        Assert.Equal(["1420600", "1438300", "1438400"], e.Areas.Where(a => a.Kinds.Count > 0).Select(a => a.Code));
    }

    [SharedDataFact]
    public void Vxko_KindCodes_MapToAlertLevels()
    {
        Assert.Equal((2, EventSeverity.Minor), Level(ParseFixture("16_01_01_220728_VXKOii.xml")));
        Assert.Equal((3, EventSeverity.Moderate), Level(ParseFixture("16_02_02_220728_VXKOii.xml")));
        Assert.Equal((4, EventSeverity.Severe), Level(ParseFixture("16_06_01_220728_VXKOii.xml")));
        Assert.Equal((5, EventSeverity.Extreme), Level(ParseFixture("16_04_01_220728_VXKOii.xml")));

        static (int?, EventSeverity) Level(HazardEvent e) => (e.AlertLevel, e.Severity);
    }

    [SharedDataFact]
    public void Vxko_Rokkaku_RiverZoneAndInundatedMunicipalities()
    {
        var e = ParseFixture("16_02_02_220728_VXKOii.xml");

        Assert.Equal("指定河川洪水予報|佐賀地方気象台|通常|890904000100", e.SeriesKey);
        var zone = e.Area("890904000100");
        Assert.Equal(("jma-river", "六角川", 3), (zone.Scheme, zone.Name, zone.AlertLevel));
        Assert.Equal(["氾濫警戒情報"], zone.Kinds);
        Assert.Equal(["41206", "41209", "41423", "41424", "41425"], e.Areas.Where(a => a.Scheme == "jma-city").Select(a => a.Municipality));
        Assert.All(e.Areas.Where(a => a.Scheme == "jma-city"), a => Assert.Equal(3, a.AlertLevel));
        Assert.Contains("潮見橋水位観測所", e.MainText.Body, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void Vpoa50AndVpbs50_HeavyRain_ForecastAreasAndMunicipality()
    {
        var vpoa = ParseFixture("18_03_01_190412_VPOA50.xml");
        Assert.Equal("記録的短時間大雨情報|札幌管区気象台|通常|JPSP201903281834_201903281953", vpoa.SeriesKey);
        Assert.Equal(["016010", "016030"], vpoa.Areas.Where(a => a.Kinds.Count > 0).Select(a => a.Code));
        Assert.All(vpoa.Areas, a => Assert.Equal("jma-forecast", a.Scheme));
        Assert.Equal("なし", vpoa.Area("016020").Status);

        var vpbs = ParseFixture("82_01_02_250630_VPBS50.xml");
        Assert.Equal("JMA:VPBS50", vpbs.Family);
        Assert.Equal("heavy-rain", vpbs.Category);
        Assert.Equal(("jma-forecast", EventSeverity.Moderate), (vpbs.Area("013010").Scheme, vpbs.Area("013010").Severity));
        var bihoro = vpbs.Area("0154300");
        Assert.Equal(("jma-city", "01543", "付近"), (bihoro.Scheme, bihoro.Municipality, bihoro.Status));
        Assert.Equal(["記録的短時間大雨"], bihoro.Kinds);
    }

    [SharedDataFact]
    public void Vphw_Tornado_ValidUntilAndCityLevel()
    {
        var e = ParseFixture("19_08_03_250630_VPHW50.xml");

        Assert.Equal("埼玉県気象防災速報（竜巻注意）", e.MainText.Headline);
        Assert.Equal(new DateTimeOffset(2015, 7, 17, 10, 30, 0, TimeSpan.FromHours(9)), e.ValidUntil);
        Assert.Equal("竜巻注意情報|熊谷地方気象台|通常", e.SeriesKey);
        Assert.Contains(e.Areas, a => a.Scheme == "jma-city" && a.Municipality is not null && a.Kinds.SequenceEqual(["竜巻注意情報"]) && a.Severity == EventSeverity.Moderate);
        Assert.Equal("なし", e.Area("110030").Status);
        Assert.Equal("VPHW51", ParseFixture("19_06_01_140425_VPHW51.xml").TypeCode);
    }

    [SharedDataFact]
    public void Vxse51_52_53_RealTrio_OneQuakeOneSeriesOrderedByRevision()
    {
        var v51 = ParseFixture("20210219010859_0_VXSE51_010000.xml");
        var v52 = ParseFixture("20210219010945_0_VXSE52_010000.xml");
        var v53 = ParseFixture("20210219011051_0_VXSE53_010000.xml");

        Assert.Equal("地震情報|気象庁本庁|通常|20210219100719", v51.SeriesKey);
        Assert.Equal(v51.SeriesKey, v52.SeriesKey);
        Assert.Equal(v51.SeriesKey, v53.SeriesKey);
        Assert.Equal(["2021-02-19T01:08:58Z", "2021-02-19T01:09:44Z", "2021-02-19T01:10:51Z"], [v51.Revision, v52.Revision, v53.Revision]);

        Assert.Equal(["250", "251"], v51.Areas.Select(a => a.Code));
        Assert.All(v51.Areas, a => Assert.Equal(("jma-seismic", "3", EventSeverity.Minor), (a.Scheme, a.MaxIntensity, a.Severity)));
        Assert.Empty(v52.Areas);
        var quake = v52.Earthquake!;
        Assert.Equal(("福島県沖", 37.7, 141.6, 50.0, 4.7), (quake.Hypocenter, quake.Lat, quake.Lon, quake.DepthKm, quake.Magnitude));
        Assert.Equal(new DateTimeOffset(2021, 2, 19, 10, 7, 0, TimeSpan.FromHours(9)), quake.OriginTime);
        Assert.Equal("3", v53.Earthquake!.MaxIntensity);
        Assert.Equal(("jma-city", "07211", "3"), (v53.Area("0721100").Scheme, v53.Area("0721100").Municipality, v53.Area("0721100").MaxIntensity));
    }

    [SharedDataFact]
    public void Vxse53_Iwate2008_YokoteMaxInt5MinusAndUnreportedStations()
    {
        var e = ParseFixture("32-35_06_03_240613_VXSE53.xml");

        var yokote = e.Area("0520300");
        Assert.Equal(("jma-city", "05203", "横手市", "5-", EventSeverity.Severe), (yokote.Scheme, yokote.Municipality, yokote.Name, yokote.MaxIntensity, yokote.Severity));
        Assert.Equal(["5-"], yokote.Kinds);
        var akitaInland = e.Area("233");
        Assert.Equal(("jma-seismic", "5+", (string?)null), (akitaInland.Scheme, akitaInland.MaxIntensity, akitaInland.Municipality));

        var kanegasaki = e.Area("0338100");
        Assert.Equal("5-?", kanegasaki.MaxIntensity);
        Assert.Contains("震度５弱以上未入電", kanegasaki.Kinds);
        Assert.Equal(EventSeverity.Severe, kanegasaki.Severity);
        var okura = e.Area("0636500");
        Assert.Equal("5-?", okura.MaxIntensity);
        Assert.Equal(["4", "震度５弱以上未入電"], okura.Kinds);

        var quake = e.Earthquake!;
        Assert.Equal(("岩手県内陸南部", 39.0, 140.9, 10.0, 7.0, "Ｍ７．０", "6+"),
            (quake.Hypocenter, quake.Lat, quake.Lon, quake.DepthKm, quake.Magnitude, quake.MagnitudeText, quake.MaxIntensity));
        Assert.Equal(EventSeverity.Extreme, e.Severity);
    }

    [SharedDataFact]
    public void Vxse53_Exercise_StatusExerciseAndTrailingSpaceInMaxIntTrimmed()
    {
        var e = ParseFixture("32-35_01_03_240613_VXSE53.xml");
        var raw = File.ReadAllText(FixturePath("32-35_01_03_240613_VXSE53.xml"));

        Assert.Contains("<MaxInt>4 </MaxInt>", raw, StringComparison.Ordinal);
        Assert.Equal(Operational.Exercise, e.Operational);
        Assert.EndsWith("|訓練|20091001134500", e.SeriesKey, StringComparison.Ordinal);
        Assert.DoesNotContain(e.Areas, a => a.MaxIntensity is not null && a.MaxIntensity != a.MaxIntensity.Trim());
        Assert.Equal("4", e.Area("2220500").MaxIntensity);
        Assert.Equal(EventSeverity.Moderate, e.Area("2220500").Severity);
    }

    [JmaFixtureTheory]
    [InlineData("32-35_06_06_100915_VXSE53.xml", "32-35_06_03_240613_VXSE53.xml", "3")]
    [InlineData("32-35_10_01_220510_VXSE51.xml", null, "")]
    [InlineData("38-39_03_01_210805_VTSE41.xml", null, "")]
    public void Cancel_RepeatedSerialAndTextOnlyBody_CancelsTheSeries(string file, string? original, string serial)
    {
        var e = ParseFixture(file);
        var raw = File.ReadAllText(FixturePath(file));

        Assert.Contains($"<Serial>{serial}</Serial>", raw, StringComparison.Ordinal);
        Assert.Equal(EventLifecycle.Cancel, e.Lifecycle);
        Assert.Empty(e.Areas);
        Assert.Contains("取り消します", e.MainText.Body, StringComparison.Ordinal);
        if (original is not null)
        {
            var issued = ParseFixture(original);
            Assert.Equal(issued.SeriesKey, e.SeriesKey);
            Assert.True(string.CompareOrdinal(e.Revision, issued.Revision) > 0);
        }
    }

    [SharedDataFact]
    public void Vpti50_Correction_NotInterpretedButStillACorrectionWithSeries()
    {
        var e = ParseFixture("06_02_01_100514_VPTI50.xml");

        Assert.False(e.Interpreted);
        Assert.Equal(EventLifecycle.Correction, e.Lifecycle);
        Assert.Equal(("JMA:全般台風情報", "全般台風情報", "other"), (e.Family, e.TypeCode, e.Category));
        Assert.Equal("全般台風情報|気象庁本庁|通常|TC0910", e.SeriesKey); // one series per typhoon
        Assert.Equal("平成２１年　台風第８号に関する情報　第１４号", e.MainText.Headline);
    }

    [SharedDataFact]
    public void Vtse41_TrailingATitle_TsunamiKindsSeverityAndHugeQuakeMagnitude()
    {
        var e = ParseFixture("32-39_11_02_250206_VTSE41.xml");

        Assert.Equal("津波警報・注意報・予報a|大阪管区気象台|通常|20110311144640", e.SeriesKey);
        var iwate = e.Area("210");
        Assert.Equal(("jma-tsunami", "発表", EventSeverity.Extreme), (iwate.Scheme, iwate.Status, iwate.Severity));
        Assert.Equal(["大津波警報：発表"], iwate.Kinds);
        Assert.Equal(EventSeverity.Severe, e.Area("101").Severity);
        Assert.Contains(e.Areas, a => a.Kinds.SequenceEqual(["津波注意報"]) && a.Severity == EventSeverity.Moderate);
        Assert.Contains(e.Areas, a => a.Kinds.SequenceEqual(["津波予報（若干の海面変動）"]) && a.Severity == EventSeverity.Info);
        Assert.Equal(EventSeverity.Extreme, e.Severity);
        Assert.Null(e.Earthquake!.Magnitude);
        Assert.Equal("Ｍ８を超える巨大地震", e.Earthquake.MagnitudeText);
    }

    [SharedDataFact]
    public void Vtse41_MultiEventId_LiftingTelegramStaysInTheOpeningSeries()
    {
        var issued = ParseFixture("38-39_02_01_250206_VTSE41.xml");
        var lifted = ParseFixture("38-39_02_04_250206_VTSE41.xml");

        Assert.Equal(issued.SeriesKey, lifted.SeriesKey);
        Assert.EndsWith("|20151114055157", lifted.SeriesKey, StringComparison.Ordinal);
        Assert.True(string.CompareOrdinal(lifted.Revision, issued.Revision) > 0);
        Assert.Equal(EventLifecycle.AllClear, lifted.Lifecycle);
        Assert.All(lifted.Areas, a => Assert.Equal("解除", a.Status));
        Assert.Equal(EventSeverity.Moderate, issued.Area("771").Severity);
    }

    [SharedDataFact]
    public void Vtse41_LastKind_AdvisoryDowngradedToForecastReadsAsLifted()
    {
        var e = ParseFixture("32-39_11_13_250206_VTSE41.xml");

        Assert.Equal(EventLifecycle.AllClear, e.Lifecycle);
        Assert.Contains(e.Areas, a => a.Status == "解除" && a.Kinds.SequenceEqual(["津波予報（若干の海面変動）"]));
        Assert.Contains(e.Areas, a => a.Status == "継続");
        Assert.Equal(new DateTimeOffset(2011, 3, 14, 18, 0, 0, TimeSpan.FromHours(9)), e.ValidUntil);
    }

    [SharedDataFact]
    public void Vtse41_2022Sequence_AdvisoryThenLifted_SameSeries()
    {
        var advisory = ParseFixture("20220918154907_08013775_VTSE41.xml");
        var lifted = ParseFixture("20220918171502_07401528_VTSE41.xml");

        Assert.Equal(advisory.SeriesKey, lifted.SeriesKey);
        Assert.Equal(("発表", EventSeverity.Moderate), (advisory.Area("802").Status, advisory.Area("802").Severity));
        Assert.Equal(0.0, advisory.Earthquake!.DepthKm);
        Assert.Equal(("解除", EventLifecycle.AllClear), (lifted.Area("802").Status, lifted.Lifecycle));
    }

    [SharedDataFact]
    public void Vxse53_DistantQuake_MagnitudeNaNDepthUnknownAndSerialOneThenTwo()
    {
        var first = ParseFixture("20231120170318_06797589_VXSE53.xml");
        var second = ParseFixture("20231120190010_00518357_VXSE53.xml");

        Assert.Equal("遠地地震に関する情報", first.MainText.Headline);
        Assert.Equal(first.SeriesKey, second.SeriesKey);
        Assert.Equal((EventLifecycle.New, EventLifecycle.Update), (first.Lifecycle, second.Lifecycle));
        Assert.Empty(first.Areas);
        var quake = first.Earthquake!;
        Assert.Equal(("ニューギニア付近", -5.1, 151.3), (quake.Hypocenter, quake.Lat, quake.Lon));
        Assert.Null(quake.DepthKm);
        Assert.Null(quake.Magnitude);
        Assert.Equal("Ｍ不明", quake.MagnitudeText);
        Assert.Equal(570.0, ParseFixture("32-35_01_03_100514_VXSE53.xml").Earthquake!.DepthKm);
    }
}
