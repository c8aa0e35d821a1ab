using AlertHub.Core.Feeds;
using AlertHub.Tests.Shared;
using AlertHub.UnitTests.Feeds.Safety;

namespace AlertHub.UnitTests.Feeds.LAlert;

public sealed class LAlertParserTests
{
    [SharedDataFact]
    public void Soap1_SoapWrappedV4EvacuationOrder_IsInterpretedPerTownArea()
    {
        var e = FeedFixtures.Parse("lalert", "soap1.xml");

        Assert.Equal(FeedSource.LAlert, e.Source);
        Assert.Equal("LALERT:EvacuationOrder", e.Family);
        Assert.Equal("EvacuationOrder", e.TypeCode);
        Assert.True(e.Interpreted);
        Assert.Equal("74ee219a-970d-417f-a9ab-a9ff1d3fe316", e.SeriesKey);
        Assert.Equal("74ee219a-970d-417f-a9ab-a9ff1d3fe316", e.SourceReference);
        Assert.Equal("000001", e.Revision);
        Assert.Equal(EventLifecycle.New, e.Lifecycle);
        Assert.Equal(Operational.Test, e.Operational);
        Assert.Equal("evacuation", e.Category);
        Assert.Equal(EventSeverity.Moderate, e.Severity);
        Assert.Equal(3, e.AlertLevel);
        Assert.Equal(new DateTimeOffset(2013, 4, 10, 9, 54, 0, TimeSpan.Zero), e.IssuedAt);
        Assert.Equal(new DateTimeOffset(2013, 4, 12, 9, 56, 0, TimeSpan.Zero), e.ValidUntil);
        Assert.Empty(e.References);

        var city = Assert.Single(e.Areas, a => a.Scheme == "jis6");
        Assert.Equal("131016", city.Code);
        Assert.Equal("13101", city.Municipality);
        Assert.Equal("東京都千代田区", city.Name);

        var towns = e.Areas.Where(a => a.Scheme == "town").ToList();
        Assert.Equal(12, towns.Count);
        Assert.All(towns, t =>
        {
            Assert.Equal("13101", t.Municipality);
            Assert.Equal("発令", t.Status);
            Assert.Equal(["避難準備"], t.Kinds);
            Assert.Equal(EventSeverity.Moderate, t.Severity);
            Assert.Equal(3, t.AlertLevel);
            Assert.Matches("^13101[0-9]{7}$", t.Code);
        });
        Assert.Equal(("131010001001", "一ツ橋一丁目"), (towns[0].Code, towns[0].Name));
        Assert.Equal(("131010010004", "九段南四丁目"), (towns[^1].Code, towns[^1].Name));

        Assert.Equal(12, e.Shapes.Count);
        Assert.All(e.Shapes, s => Assert.Null(s.Polygon));
        Assert.Equal((35.691634, 139.756685, 0d), (e.Shapes[0].Lat!.Value, e.Shapes[0].Lon!.Value, e.Shapes[0].RadiusMeters!.Value));

        var ja = e.Texts["ja"];
        Assert.Same(ja, e.MainText);
        Assert.Equal("東京都千代田区 避難勧告・指示情報 試験災害", ja.Headline);
        Assert.StartsWith("避難準備  発令  04月10日午後06時55分", ja.Body);
    }

    [SharedDataFact]
    public void Sample1_V3HeadOnly_KeepsSeriesAndTargetArea_AndIsGradedFromItsTitle()
    {
        var e = FeedFixtures.Parse("lalert", "sample1.xml");

        Assert.Equal(FeedSource.LAlert, e.Source);
        Assert.True(e.Interpreted);
        Assert.Equal("7e573043-fc3c-4a6b-bdb8-a9608233b0af", e.SeriesKey);
        Assert.Equal("000001", e.Revision);
        Assert.Equal(EventLifecycle.New, e.Lifecycle); // no distributionType: a first edition
        Assert.Equal(Operational.Real, e.Operational);
        Assert.Equal(EventSeverity.Severe, e.Severity); // no Detail: 「避難勧告・指示情報　発令」 in the Head/Title grades it
        Assert.Equal(4, e.AlertLevel);
        var area = Assert.Single(e.Areas);
        Assert.Equal(("jis6", "282103", "28210"), (area.Scheme, area.Code, area.Municipality));
        Assert.Equal(("発令", EventSeverity.Severe, 4), (area.Status, area.Severity, area.AlertLevel));
        Assert.Equal(["避難勧告"], area.Kinds);
        Assert.Empty(e.Shapes);
        Assert.Equal(new DateTimeOffset(2010, 11, 30, 5, 59, 0, TimeSpan.Zero), e.IssuedAt); // dateTimeSent: the Head has no times
        Assert.Equal("加古川市: 避難勧告・指示情報　発令", e.MainText.Headline);
        Assert.StartsWith("平成22年11月30日、A地区の土砂災害現場", e.MainText.Body);
    }

    /// <summary>sample1.xml with its only code moved from the envelope's targetArea into Head/Headline/Areas.</summary>
    [SharedDataFact]
    public void Sample1_OnlyCodeInTheHeadline_KeepsTheArea()
    {
        var xml = System.Text.Encoding.UTF8.GetString(FeedFixtures.Read("lalert", "sample1.xml"));
        xml = Replace(xml, "<commons:targetArea>\n\t\t<commons:jisX0402>282103</commons:jisX0402>\n\t</commons:targetArea>\n", "");
        xml = Replace(xml, "</pcx_ib:Text>\n", "</pcx_ib:Text>\n<pcx_ib:Areas><pcx_ib:Area><commons:areaName>兵庫県加古川市</commons:areaName><commons:jisX0402>282103</commons:jisX0402></pcx_ib:Area></pcx_ib:Areas>\n");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(xml, "282103"));

        var e = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(xml));

        var area = Assert.Single(e.Areas);
        Assert.Equal(("jis6", "282103", "28210", "兵庫県加古川市"), (area.Scheme, area.Code, area.Municipality, area.Name));
        Assert.Equal((EventSeverity.Severe, 4), (area.Severity, area.AlertLevel));
    }

    [FeedFixtureTheory]
    [InlineData("加古川市: 高齢者等避難　発令", EventLifecycle.New, EventSeverity.Moderate, 3, "発令")]
    [InlineData("加古川市: 避難指示　発令", EventLifecycle.New, EventSeverity.Severe, 4, "発令")]
    [InlineData("加古川市: 緊急安全確保　発令", EventLifecycle.New, EventSeverity.Extreme, 5, "発令")]
    [InlineData("加古川市: 避難指示　解除", EventLifecycle.AllClear, EventSeverity.Info, null, "解除")]
    public void HeadOnlyEvacuationOrder_CurrentVocabulary_MapsLevelSeverityAndLifting(string title, EventLifecycle lifecycle, EventSeverity severity,
        int? level, string status)
    {
        var xml = Replace(System.Text.Encoding.UTF8.GetString(FeedFixtures.Read("lalert", "sample1.xml")), "加古川市: 避難勧告・指示情報　発令", title);
        xml = Replace(xml, "避難勧告を行うこととしている", "避難情報を出すこととしている");

        var e = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(xml));

        Assert.Equal((lifecycle, severity, level), (e.Lifecycle, e.Severity, e.AlertLevel));
        var area = Assert.Single(e.Areas);
        Assert.Equal((status, severity, level), (area.Status, area.Severity, area.AlertLevel));
    }

    private static string Replace(string xml, string from, string to)
    {
        Assert.Contains(from, xml, StringComparison.Ordinal);
        return xml.Replace(from, to, StringComparison.Ordinal);
    }

    /// <summary>
    /// adsoltestbest.xml is an Update whose documentRevision is 0 (less than sample1's 1 for the same documentID),
    /// whose Head title says 解除 while every Detail says 避難準備 発令. The parser reports the document as written:
    /// Update, revision "000000", 発令 details → Moderate/3. It does not invent a revision; ingest's "drop
    /// revisions ≤ the stored one" rule then treats it as stale, which is what a real receiver would do.
    /// </summary>
    [SharedDataFact]
    public void Adsoltestbest_UpdateWithRevisionZeroBomCrlf_KeepsRevisionAsWritten()
    {
        var e = FeedFixtures.Parse("lalert", "adsoltestbest.xml");
        var sample = FeedFixtures.Parse("lalert", "sample1.xml");

        Assert.Equal(EventLifecycle.Update, e.Lifecycle);
        Assert.Equal("000000", e.Revision);
        Assert.Equal(sample.SeriesKey, e.SeriesKey);
        Assert.True(string.CompareOrdinal(e.Revision, sample.Revision) < 0);
        Assert.Equal(["7e573043-fc3c-4a6b-bdb8-a9608233b0af,000000"], e.References);
        Assert.Equal(Operational.Real, e.Operational);
        Assert.Equal(EventSeverity.Moderate, e.Severity);
        Assert.Equal(3, e.AlertLevel);
        Assert.Equal(new DateTimeOffset(2010, 12, 8, 12, 48, 0, TimeSpan.Zero), e.IssuedAt);
        Assert.Equal("加古川市: 避難勧告・指示情報　解除", e.MainText.Headline);
        Assert.Equal("平成22年12月8日、別府町（A地区）避難指示解除。（サンプル）", e.MainText.Body);

        Assert.Equal(("jis6", "282103", "28210"), (e.Areas[0].Scheme, e.Areas[0].Code, e.Areas[0].Municipality));
        var districts = e.Areas.Where(a => a.Scheme == "name").ToList();
        Assert.Equal(["地域2", "地区名称1", "地区名称03"], districts.Select(d => d.Code));
        Assert.All(districts, d =>
        {
            Assert.Equal("28210", d.Municipality); // inherited from the single target municipality
            Assert.Equal("発令", d.Status);
            Assert.Equal(["避難準備"], d.Kinds);
        });
        var circle = Assert.Single(e.Shapes);
        Assert.Equal((34.764743, 134.842758, 0d), (circle.Lat!.Value, circle.Lon!.Value, circle.RadiusMeters!.Value));
    }

    [SharedDataFact]
    public void LAlertFixtures_ExpectedCap_AreUnrecognized()
    {
        foreach (var file in FeedFixtures.Files("lalert"))
        {
            var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(FeedFixtures.Read("lalert", file), FeedSource.Cap));
            Assert.Equal("feeds.unrecognized", ex.Code);
            Assert.Equal(FeedSource.LAlert, FeedParser.Parse(FeedFixtures.Read("lalert", file), FeedSource.LAlert).Source);
        }
    }

    [Theory]
    [InlineData("緊急安全確保", "発令", EventSeverity.Extreme, 5)]
    [InlineData("避難指示", "発令", EventSeverity.Severe, 4)]
    [InlineData("避難指示（緊急）", "発令", EventSeverity.Severe, 4)]
    [InlineData("避難勧告", "発令", EventSeverity.Severe, 4)]
    [InlineData("高齢者等避難", "発令", EventSeverity.Moderate, 3)]
    [InlineData("避難準備・高齢者等避難開始", "発令", EventSeverity.Moderate, 3)]
    [InlineData("避難準備", "発令", EventSeverity.Moderate, 3)]
    [InlineData("立退き避難", "発令", EventSeverity.Moderate, null)]
    public void EvacuationOrder_Sort_MapsSeverityAndLevel(string sort, string issueOrLift, EventSeverity severity, int? level)
    {
        var e = FeedParser.Parse(new LAlertDocument { Body = LAlertDocument.Detail(sort, issueOrLift) }.ToBytes());

        Assert.Equal(severity, e.Severity);
        Assert.Equal(level, e.AlertLevel);
        var town = Assert.Single(e.Areas, a => a.Scheme == "town");
        Assert.Equal(("052030012000", "05203", "横手市中央町"), (town.Code, town.Municipality, town.Name));
        Assert.Equal([sort], town.Kinds);
        Assert.Equal(severity, town.Severity);
        Assert.Equal(level, town.AlertLevel);
        Assert.Equal(issueOrLift, town.Status);
        Assert.Equal("05203", Assert.Single(e.Areas, a => a.Scheme == "jis6").Municipality);
        var circle = Assert.Single(e.Shapes);
        Assert.Equal((39.31372, 140.56661, 500d), (circle.Lat!.Value, circle.Lon!.Value, circle.RadiusMeters!.Value));
    }

    [Fact]
    public void EvacuationOrder_SeveralDetails_TakesTheHighestAndKeepsEachArea()
    {
        var body = LAlertDocument.Detail("高齢者等避難", "発令", "052030001000", "横手町")
            + LAlertDocument.Detail("緊急安全確保", "発令", "052030002000", "大沢", "39.3,140.5,0")
            + LAlertDocument.Detail("避難指示", "解除", "052030003000", "赤坂", "39.2,140.4,0");
        var e = FeedParser.Parse(new LAlertDocument { Body = body }.ToBytes());

        Assert.Equal(EventSeverity.Extreme, e.Severity);
        Assert.Equal(5, e.AlertLevel);
        Assert.Equal(EventLifecycle.New, e.Lifecycle);
        var towns = e.Areas.Where(a => a.Scheme == "town").ToDictionary(a => a.Name!);
        Assert.Equal((EventSeverity.Moderate, 3), (towns["横手町"].Severity, towns["横手町"].AlertLevel));
        Assert.Equal((EventSeverity.Extreme, 5), (towns["大沢"].Severity, towns["大沢"].AlertLevel));
        Assert.Equal((EventSeverity.Info, (int?)null, "解除"), (towns["赤坂"].Severity, towns["赤坂"].AlertLevel, towns["赤坂"].Status));
        Assert.Equal(3, e.Shapes.Count);
    }

    [Fact]
    public void EvacuationOrder_EveryDetailLifted_IsAllClear()
    {
        var body = LAlertDocument.Detail("避難指示", "解除") + LAlertDocument.Detail("高齢者等避難", "解除", "052030001000", "横手町");
        var e = FeedParser.Parse(new LAlertDocument { Type = "Update", Revision = "3", Body = body }.ToBytes());

        Assert.Equal(EventLifecycle.AllClear, e.Lifecycle);
        Assert.Equal(EventSeverity.Info, e.Severity);
        Assert.Null(e.AlertLevel);
        Assert.Equal("000003", e.Revision);
    }

    [Theory]
    [InlineData("Report", false, EventLifecycle.New)]
    [InlineData("Update", false, EventLifecycle.Update)]
    [InlineData("Update", true, EventLifecycle.Correction)]
    [InlineData("Cancel", false, EventLifecycle.Cancel)]
    [InlineData("Cancel", true, EventLifecycle.Cancel)]
    [InlineData(null, false, EventLifecycle.New)]
    public void DistributionType_WithOrWithoutErrata_MapsLifecycle(string? type, bool errata, EventLifecycle expected)
    {
        var e = FeedParser.Parse(new LAlertDocument { Type = type, Errata = errata }.ToBytes());

        Assert.Equal(expected, e.Lifecycle);
    }

    [Fact]
    public void Cancel_EveryDetailLifted_StaysCancel()
    {
        var e = FeedParser.Parse(new LAlertDocument { Type = "Cancel", Body = LAlertDocument.Detail("避難指示", "解除") }.ToBytes());

        Assert.Equal(EventLifecycle.Cancel, e.Lifecycle);
    }

    [Theory]
    [InlineData("Actual", "Actual", Operational.Real)]
    [InlineData("Exercise", "Exercise", Operational.Exercise)]
    [InlineData("System", "System", Operational.Test)]
    [InlineData("Test", null, Operational.Test)]
    [InlineData("Actual", "Exercise", Operational.Exercise)] // a drill body inside a real envelope is still a drill
    public void DistributionStatus_MapsOperational(string envelope, string? control, Operational expected)
    {
        var e = FeedParser.Parse(new LAlertDocument { Status = envelope, ControlStatus = control }.ToBytes());

        Assert.Equal(expected, e.Operational);
    }

    [Theory]
    [InlineData("7", "000007")]
    [InlineData("12", "000012")]
    [InlineData("0", "000000")]
    public void Revision_IsZeroPaddedSoOrdinalOrderIsNumericOrder(string revision, string expected)
    {
        var e = FeedParser.Parse(new LAlertDocument { Revision = revision }.ToBytes());

        Assert.Equal(expected, e.Revision);
        Assert.True(string.CompareOrdinal(e.Revision, "000008") < 0 == int.Parse(revision, System.Globalization.CultureInfo.InvariantCulture) < 8);
    }

    [Theory]
    [InlineData("Actual", "x", "feeds.invalid")]
    [InlineData("Actual", "-1", "feeds.invalid")]
    [InlineData("Maybe", "1", "feeds.invalid")]
    public void BadRevisionOrStatus_IsRejectedAsInvalid(string status, string revision, string code)
    {
        var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(new LAlertDocument { Status = status, Revision = revision }.ToBytes()));

        Assert.Equal(code, ex.Code);
    }

    [Fact]
    public void TargetArea_WrongCheckDigit_HasNoMunicipality()
    {
        var e = FeedParser.Parse(new LAlertDocument { TargetJis = "052039" }.ToBytes());

        var target = Assert.Single(e.Areas, a => a.Code == "052039");
        Assert.Null(target.Municipality);
        Assert.Equal("05203", Assert.Single(e.Areas, a => a.Scheme == "town").Municipality); // the town code still names 横手市
    }

    [Fact]
    public void Shelter_Informations_BecomeInformationalAreas()
    {
        const string body = """
            <sh:TotalNumberOfShelter>2</sh:TotalNumberOfShelter>
            <sh:Informations>
              <sh:Information>
                <sh:Location><c:areaName>横手市民会館</c:areaName><sh:Address>秋田県横手市中央町8-2</sh:Address></sh:Location>
                <sh:Type>避難所</sh:Type><sh:Sort>開設</sh:Sort><sh:Capacity>300</sh:Capacity><sh:Status>空き</sh:Status>
              </sh:Information>
              <sh:Information>
                <sh:Location><ed:circle>39.22,140.52,0</ed:circle><c:areaName>十文字体育館</c:areaName></sh:Location>
                <sh:Type>指定緊急避難場所</sh:Type><sh:Sort>閉鎖</sh:Sort>
              </sh:Information>
            </sh:Informations>
            """;
        var e = FeedParser.Parse(new LAlertDocument { Category = "Shelter", Body = body }.ToBytes());

        Assert.True(e.Interpreted);
        Assert.Equal("LALERT:Shelter", e.Family);
        Assert.Equal("shelter", e.Category);
        Assert.Equal(EventSeverity.Info, e.Severity);
        Assert.Equal(EventLifecycle.New, e.Lifecycle);
        var hall = Assert.Single(e.Areas, a => a.Name == "横手市民会館");
        Assert.Equal(("name", "秋田県横手市中央町8-2", "05203", "開設"), (hall.Scheme, hall.Code, hall.Municipality, hall.Status));
        Assert.Equal(["避難所", "空き", "定員300"], hall.Kinds);
        var gym = Assert.Single(e.Areas, a => a.Name == "十文字体育館");
        Assert.Equal("閉鎖", gym.Status);
        Assert.Single(e.Shapes);
    }

    [Fact]
    public void Shelter_EveryShelterClosed_IsAllClear()
    {
        const string body = """
            <sh:Informations><sh:Information><sh:Location><c:areaName>横手市民会館</c:areaName></sh:Location><sh:Sort>閉鎖</sh:Sort></sh:Information></sh:Informations>
            """;
        var e = FeedParser.Parse(new LAlertDocument { Category = "Shelter", Type = "Update", Body = body }.ToBytes());

        Assert.Equal(EventLifecycle.AllClear, e.Lifecycle);
    }

    [Fact]
    public void OtherCategory_IsStoredUninterpretedWithSeriesAndHeadline()
    {
        var e = FeedParser.Parse(new LAlertDocument { Category = "DamageInformation", Type = "Update", Revision = "4" }.ToBytes());

        Assert.False(e.Interpreted);
        Assert.Equal("LALERT:DamageInformation", e.Family);
        Assert.Equal("other", e.Category);
        Assert.Equal("0b6c1c5e-yokote-test-0001", e.SeriesKey);
        Assert.Equal("000004", e.Revision);
        Assert.Equal(EventLifecycle.Update, e.Lifecycle);
        Assert.Equal(EventSeverity.Moderate, e.Severity); // commons:severity, the only grading such a document has
        Assert.Equal("横手市 避難情報 テスト", e.MainText.Headline);
        Assert.Equal("横手市が避難情報を発表しました。", e.MainText.Body);
        Assert.Equal("05203", Assert.Single(e.Areas).Municipality);
    }

    [Fact]
    public void MissingDocumentId_IsInvalid()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes("""
            <ed:EDXLDistribution xmlns:ed="urn:oasis:names:tc:emergency:EDXL:DE:1.0" xmlns:c="http://xml.publiccommons.ne.jp/xml/edxl/">
              <ed:distributionStatus>Actual</ed:distributionStatus>
              <c:contentObject><ed:xmlContent><ed:embeddedXMLContent>
                <Report xmlns="http://xml.publiccommons.ne.jp/pcxml1/3"><Control><Title>EvacuationOrder</Title></Control></Report>
              </ed:embeddedXMLContent></ed:xmlContent></c:contentObject>
            </ed:EDXLDistribution>
            """);

        Assert.Equal("feeds.invalid", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes)).Code);
    }

    [Fact]
    public void EmbeddedCap_InExerciseEnvelope_IsCapAndStaysExercise()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes("""
            <EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0">
              <distributionStatus>Exercise</distributionStatus><distributionType>Report</distributionType>
              <contentObject><xmlContent><embeddedXMLContent>
                <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>drill-1</identifier><sender>city.yokote.test</sender>
                  <sent>2024-07-01T10:00:00+09:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope></alert>
              </embeddedXMLContent></xmlContent></contentObject>
            </EDXLDistribution>
            """);

        var e = FeedParser.Parse(bytes);

        Assert.Equal(FeedSource.Cap, e.Source);
        Assert.Equal(Operational.Exercise, e.Operational);
        Assert.Equal("city.yokote.test,drill-1", e.SeriesKey);
        Assert.Equal("feeds.unrecognized", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes, FeedSource.LAlert)).Code);
    }

    /// <summary>
    /// L-Alert relays JMA telegrams inside EDXL-DE: routed as L-Alert (Family LALERT:JMA:…) but keeping the JMA
    /// interpretation and series so ingest can match it with the same telegram fetched directly.
    /// </summary>
    [SharedDataFact]
    public void EmbeddedJma_InExerciseEnvelope_IsLAlertWithJmaSeries()
    {
        var telegram = System.Text.RegularExpressions.Regex.Replace(
            File.ReadAllText(Tests.Shared.SharedData.Path("fixtures", "feeds", "jma", "15_14_01_170216_VPWW54.xml")!), @"^\uFEFF?<\?xml[^>]*\?>", "");
        var bytes = System.Text.Encoding.UTF8.GetBytes($"""
            <ed:EDXLDistribution xmlns:ed="urn:oasis:names:tc:emergency:EDXL:DE:1.0" xmlns:c="http://xml.publiccommons.ne.jp/xml/edxl/">
              <ed:distributionStatus>Exercise</ed:distributionStatus><ed:distributionType>Report</ed:distributionType>
              <c:contentObject><ed:xmlContent><ed:embeddedXMLContent>{telegram}</ed:embeddedXMLContent></ed:xmlContent></c:contentObject>
            </ed:EDXLDistribution>
            """);

        Assert.Equal("feeds.unrecognized", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes, FeedSource.Jma)).Code);
        HazardEvent relayed, direct;
        try
        {
            relayed = FeedParser.Parse(bytes, FeedSource.LAlert);
            direct = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(telegram), FeedSource.Jma);
        }
        catch (FeedRejectedException ex) when (ex.Message == "JMA parser not merged yet")
        {
            return; // this branch carries only the stand-in JmaParser; the assertions below run once it is merged
        }

        Assert.Equal(FeedSource.LAlert, relayed.Source);
        Assert.Equal("LALERT:JMA:" + (direct.Family.StartsWith("JMA:", StringComparison.Ordinal) ? direct.Family[4..] : direct.Family), relayed.Family);
        Assert.Equal(direct.SeriesKey, relayed.SeriesKey);
        Assert.Equal(direct.Revision, relayed.Revision);
        Assert.Equal(Operational.Exercise, relayed.Operational);
    }

    [Fact]
    public void EdxlWithoutKnownContent_IsUnrecognized()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes("""
            <EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0"><distributionStatus>Actual</distributionStatus>
              <contentObject><xmlContent><embeddedXMLContent><rss/></embeddedXMLContent></xmlContent></contentObject></EDXLDistribution>
            """);

        Assert.Equal("feeds.unrecognized", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes)).Code);
    }
}
