using AlertHub.Core.Feeds;
using AlertHub.Core.Feeds.Jma;
using static AlertHub.UnitTests.Feeds.Jma.JmaTestXml;

namespace AlertHub.UnitTests.Feeds.Jma;

/// <summary>Small hand-written telegrams for the traps in reference/feeds.md §6 and the 2026 titles.</summary>
public sealed class JmaGotchaTests
{
    private const string MeteNs = "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/";
    private const string SeisNs = "http://xml.kishou.go.jp/jmaxml1/body/seismology1/";

    private static string Telegram(
        string controlTitle,
        string body = "",
        string status = "通常",
        string infoType = "発表",
        string serial = "<Serial/>",
        string eventId = "<EventID/>",
        string headTitle = "秋田県気象警報・注意報",
        string headline = "見出し",
        string bodyNs = MeteNs,
        string extraHead = "") => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <Report xmlns="http://xml.kishou.go.jp/jmaxml1/" xmlns:jmx="http://xml.kishou.go.jp/jmaxml1/">
          <Control>
            <Title>{controlTitle}</Title>
            <DateTime>2026-06-01T01:02:03Z</DateTime>
            <Status>{status}</Status>
            <EditorialOffice>秋田地方気象台</EditorialOffice>
            <PublishingOffice>秋田地方気象台</PublishingOffice>
          </Control>
          <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/">
            <Title>{headTitle}</Title>
            <ReportDateTime>2026-06-01T10:02:00+09:00</ReportDateTime>
            <TargetDateTime>2026-06-01T10:02:00+09:00</TargetDateTime>
            {extraHead}
            {eventId}
            <InfoType>{infoType}</InfoType>
            {serial}
            <InfoKind>気象警報・注意報</InfoKind>
            <Headline><Text>{headline}</Text></Headline>
          </Head>
          <Body xmlns="{bodyNs}">{body}</Body>
        </Report>
        """;

    private static string CityItem(string code, string name, params (string Name, string Code, string Status)[] kinds) =>
        "<Item>" + string.Concat(kinds.Select(k => $"<Kind><Name>{k.Name}</Name><Code>{k.Code}</Code><Status>{k.Status}</Status></Kind>"))
        + $"<Area><Name>{name}</Name><Code>{code}</Code></Area></Item>";

    private static string NoneItem(string code, string name) =>
        $"<Item><Kind><Status>発表警報・注意報はなし</Status></Kind><Area><Name>{name}</Name><Code>{code}</Code></Area></Item>";

    private static string Akita(params string[] items) =>
        "<Warning type=\"気象警報・注意報（市町村等）\">" + string.Concat(items) + "</Warning>";

    [Fact]
    public void Vpww53_Yokote_PerCityStatusKindsAndSeverity()
    {
        var e = Parse(Telegram("気象特別警報・警報・注意報", Akita(
            CityItem("0520300", "横手市", ("大雨警報", "03", "発表"), ("洪水注意報", "18", "継続")),
            CityItem("0520700", "湯沢市", ("大雨警報", "03", "特別警報から警報")),
            CityItem("0521200", "大仙市", ("大雨注意報", "10", "解除"), ("雷注意報", "14", "継続")),
            CityItem("0543400", "美郷町", ("大雨特別警報", "33", "発表")),
            NoneItem("0520100", "秋田市"))));

        var yokote = e.Area("0520300");
        Assert.Equal(("jma-city", "05203", "横手市", "発表", EventSeverity.Moderate), (yokote.Scheme, yokote.Municipality, yokote.Name, yokote.Status, yokote.Severity));
        Assert.Equal(["大雨警報", "洪水注意報"], yokote.Kinds);
        Assert.Null(yokote.AlertLevel);
        Assert.Equal(("特別警報から警報", EventSeverity.Moderate), (e.Area("0520700").Status, e.Area("0520700").Severity));
        var daisen = e.Area("0521200");
        Assert.Equal(("継続", EventSeverity.Minor), (daisen.Status, daisen.Severity));
        Assert.Equal(["雷注意報"], daisen.Kinds);
        Assert.Equal(EventSeverity.Extreme, e.Area("0543400").Severity);
        Assert.Equal(("発表警報・注意報はなし", EventSeverity.Info), (e.Area("0520100").Status, e.Area("0520100").Severity));
        Assert.Equal(EventSeverity.Extreme, e.Severity);
        Assert.Equal(EventLifecycle.New, e.Lifecycle);
        Assert.Equal("2026-06-01T01:02:03Z", e.Revision);
        Assert.Equal("秋田県気象警報・注意報", e.MainText.Headline);
    }

    [Fact]
    public void Vpww53_OnlyContinuations_Update()
    {
        var e = Parse(Telegram("気象特別警報・警報・注意報", Akita(CityItem("0520300", "横手市", ("大雨警報", "03", "継続")))));

        Assert.Equal(EventLifecycle.Update, e.Lifecycle);
    }

    [Fact]
    public void Vpww53_AllLiftedWithOne解除_AllClear_ButNothingLiftedIsNot()
    {
        var cleared = Parse(Telegram("気象特別警報・警報・注意報", Akita(
            CityItem("0520300", "横手市", ("大雨警報", "03", "解除")),
            NoneItem("0520100", "秋田市"))));
        var quiet = Parse(Telegram("気象特別警報・警報・注意報", Akita(NoneItem("0520100", "秋田市"))));

        Assert.Equal(EventLifecycle.AllClear, cleared.Lifecycle);
        Assert.Equal(("解除", EventSeverity.Info), (cleared.Area("0520300").Status, cleared.Area("0520300").Severity));
        Assert.Empty(cleared.Area("0520300").Kinds);
        Assert.Equal(EventLifecycle.New, quiet.Lifecycle);
    }

    [Fact]
    public void Vpww53_Correction_IsCorrectionEvenWhenItLiftsEverything()
    {
        var e = Parse(Telegram("気象特別警報・警報・注意報", Akita(CityItem("0520300", "横手市", ("大雨警報", "03", "解除"))), infoType: "訂正"));

        Assert.Equal(EventLifecycle.Correction, e.Lifecycle);
    }

    [Theory]
    [InlineData("<Serial/>")]
    [InlineData("<Serial />")]
    [InlineData("<Serial></Serial>")]
    [InlineData("<Serial>\n  </Serial>")]
    [InlineData("")]
    public void EmptySerial_EverySpelling_New(string serial)
    {
        var quake = "<Earthquake><OriginTime>2026-06-01T10:00:00+09:00</OriginTime></Earthquake>";
        var e = Parse(Telegram("震源・震度に関する情報", quake, serial: serial, eventId: "<EventID>20260601100000</EventID>", bodyNs: SeisNs));

        Assert.Equal(EventLifecycle.New, e.Lifecycle);
        Assert.Equal("地震情報|秋田地方気象台|通常|20260601100000", e.SeriesKey);
    }

    [Theory]
    [InlineData("1", EventLifecycle.New)]
    [InlineData("2", EventLifecycle.Update)]
    [InlineData("12", EventLifecycle.Update)]
    public void Serial_OneIsNewLaterIsUpdate(string serial, EventLifecycle expected)
    {
        var e = Parse(Telegram("震源・震度に関する情報", serial: $"<Serial>{serial}</Serial>", eventId: "<EventID>1</EventID>", bodyNs: SeisNs));

        Assert.Equal(expected, e.Lifecycle);
    }

    [Theory]
    [InlineData("通常", Operational.Real)]
    [InlineData("訓練", Operational.Exercise)]
    [InlineData("試験", Operational.Test)]
    public void ControlStatus_MapsToOperationalAndSeries(string status, Operational expected)
    {
        var e = Parse(Telegram("気象特別警報・警報・注意報", status: status));

        Assert.Equal(expected, e.Operational);
        Assert.Equal($"気象特別警報・警報・注意報|秋田地方気象台|{status}", e.SeriesKey);
    }

    [Fact]
    public void OddPrefixes_NoDefaultNamespaces_SameEventAsDefaultNamespaces()
    {
        var prefixed = """
            <?xml version="1.0" encoding="UTF-8"?>
            <r:Report xmlns:r="http://xml.kishou.go.jp/jmaxml1/" xmlns:hd="http://xml.kishou.go.jp/jmaxml1/informationBasis1/"
                      xmlns:m="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/">
              <r:Control><r:Title>気象特別警報・警報・注意報</r:Title><r:DateTime>2026-06-01T01:02:03Z</r:DateTime><r:Status>通常</r:Status>
                <r:EditorialOffice>秋田地方気象台</r:EditorialOffice></r:Control>
              <hd:Head><hd:Title>秋田県気象警報・注意報</hd:Title><hd:EventID/><hd:InfoType>発表</hd:InfoType><hd:Serial/>
                <hd:Headline><hd:Text>見出し</hd:Text></hd:Headline></hd:Head>
              <m:Body><m:Warning type="気象警報・注意報（市町村等）"><m:Item>
                <m:Kind><m:Name>大雨警報</m:Name><m:Code>03</m:Code><m:Status>発表</m:Status></m:Kind>
                <m:Area><m:Name>横手市</m:Name><m:Code>0520300</m:Code></m:Area></m:Item></m:Warning></m:Body>
            </r:Report>
            """;
        var plain = Telegram("気象特別警報・警報・注意報", Akita(CityItem("0520300", "横手市", ("大雨警報", "03", "発表"))));

        var a = Parse(prefixed);
        var b = Parse(plain);

        Assert.Equal((b.Family, b.SeriesKey, b.Revision, b.Lifecycle), (a.Family, a.SeriesKey, a.Revision, a.Lifecycle));
        Assert.Equal(b.Areas.Select(x => (x.Code, x.Status, string.Join(",", x.Kinds))), a.Areas.Select(x => (x.Code, x.Status, string.Join(",", x.Kinds))));
    }

    [Fact]
    public void SameLocalNameInAnotherNamespace_IsNotRead()
    {
        // Kind/Area in the Head's namespace inside the Body: a local-name-only reader would count them.
        var body = """<Warning type="気象警報・注意報（市町村等）"><Item xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/">"""
            + "<Kind><Name>大雨警報</Name><Status>発表</Status></Kind><Area><Name>横手市</Name><Code>0520300</Code></Area></Item></Warning>";

        var e = Parse(Telegram("気象特別警報・警報・注意報", body));

        Assert.Empty(e.Areas);
    }

    [Theory]
    [InlineData("気象警報・注意報（Ｒ０６）（大雨）", "VPWW55")]
    [InlineData("気象警報・注意報（Ｒ０６）（土砂）", "VPWW56")]
    [InlineData("気象警報・注意報（Ｒ０６）（高潮）", "VPWW57")]
    [InlineData("気象警報・注意報（Ｒ０６）（暴風）", "VPWW58")]
    [InlineData("気象警報・注意報（Ｒ０６）（波浪）", "VPWW59")]
    [InlineData("気象警報・注意報（Ｒ０６）（大雪）", "VPWW60")]
    [InlineData("気象警報・注意報（Ｒ０６）（その他注意報）", "VPWW61")]
    [InlineData("気象警報・注意報（Ｈ２７）", "VPWW54")]
    [InlineData("津波警報・注意報・予報a", "VTSE41")]
    [InlineData("津波情報a", "VTSE51")]
    public void Titles2026AndTsunamiA_MapToDataTypes(string controlTitle, string typeCode)
    {
        var e = Parse(Telegram(controlTitle));

        Assert.True(e.Interpreted);
        Assert.Equal(("JMA:" + typeCode, typeCode), (e.Family, e.TypeCode));
    }

    [Theory]
    [InlineData("気象警報・注意報（Ｒ０６）（集約通報）")]
    [InlineData("気象警報・注意報時系列情報（Ｒ０６）")]
    [InlineData("噴火警報・予報")]
    public void UnknownTitle_NotInterpretedButStillAnEvent(string controlTitle)
    {
        var e = Parse(Telegram(controlTitle, Akita(CityItem("0520300", "横手市", ("大雨警報", "03", "発表"))), serial: "<Serial>2</Serial>"));

        Assert.False(e.Interpreted);
        Assert.Equal(("JMA:" + controlTitle, "other", EventLifecycle.Update), (e.Family, e.Category, e.Lifecycle));
        Assert.Equal($"{controlTitle}|秋田地方気象台|通常", e.SeriesKey);
        Assert.Empty(e.Areas);
        Assert.Equal("見出し", e.MainText.Body);
    }

    [Fact]
    public void R06_SpecialWarningLevel5_ExtremeWithLevel()
    {
        var e = Parse(Telegram("気象警報・注意報（Ｒ０６）（大雨）", Akita(
            CityItem("0520300", "横手市", ("レベル５大雨特別警報", "33", "発表")),
            CityItem("0520700", "湯沢市", ("レベル４大雨危険警報", "43", "警報から危険警報")))));

        Assert.Equal((5, EventSeverity.Extreme), (e.Area("0520300").AlertLevel, e.Area("0520300").Severity));
        Assert.Equal((4, EventSeverity.Severe), (e.Area("0520700").AlertLevel, e.Area("0520700").Severity));
        Assert.Equal((5, EventSeverity.Extreme), (e.AlertLevel, e.Severity));
    }

    [Fact]
    public void Vxko_AdvisoryLifted_RiverAndStationTownLiftedAllClear()
    {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Report xmlns="http://xml.kishou.go.jp/jmaxml1/">
              <Control><Title>指定河川洪水予報</Title><DateTime>2026-06-01T05:00:00Z</DateTime><Status>通常</Status>
                <EditorialOffice>秋田地方気象台</EditorialOffice></Control>
              <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/">
                <Title>雄物川上流氾濫注意情報解除</Title><EventID>050000000001</EventID><InfoType>発表</InfoType><Serial>3</Serial>
                <Headline><Text>雄物川上流では、氾濫のおそれはなくなりました。</Text>
                  <Information type="指定河川洪水予報（予報区域）"><Item>
                    <Kind><Name>氾濫注意情報解除</Name><Code>10</Code></Kind>
                    <Areas codeType="指定河川洪水予報（予報区域）"><Area><Name>雄物川上流</Name><Code>050000000001</Code></Area></Areas>
                  </Item></Information></Headline>
              </Head>
              <Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/">
                <Warning type="指定河川洪水予報"><Item>
                  <Kind><Property><Type>主文</Type><Text>雄物川上流の水位は下がりました。</Text></Property></Kind>
                  <Stations><Station><Name>柳田橋</Name><Location>横手市</Location></Station></Stations>
                </Item></Warning>
              </Body>
            </Report>
            """;

        var e = Parse(xml);

        Assert.Equal(EventLifecycle.AllClear, e.Lifecycle);
        Assert.Equal(("jma-river", "解除", EventSeverity.Info), (e.Area("050000000001").Scheme, e.Area("050000000001").Status, e.Area("050000000001").Severity));
        Assert.Null(e.Area("050000000001").AlertLevel);
        Assert.Equal(("name", "解除"), (e.Area("横手市").Scheme, e.Area("横手市").Status));
        Assert.Empty(e.Area("横手市").Kinds);
        Assert.Equal("雄物川上流では、氾濫のおそれはなくなりました。\n雄物川上流の水位は下がりました。", e.MainText.Body);
    }

    [Fact]
    public void Vpbs50_TornadoBulletin_TornadoCategory()
    {
        var e = Parse(Telegram("府県気象防災速報", headTitle: "秋田県気象防災速報（竜巻注意）", eventId: "<EventID>X</EventID>"));

        Assert.Equal(("JMA:VPBS50", "tornado"), (e.Family, e.Category));
        Assert.Equal("府県気象防災速報|秋田地方気象台|通常|X", e.SeriesKey);
    }

    [Fact]
    public void ValidDateTime_BecomesValidUntil()
    {
        var e = Parse(Telegram("竜巻注意情報", extraHead: "<ValidDateTime>2026-06-01T11:10:00+09:00</ValidDateTime>"));

        Assert.Equal(new DateTimeOffset(2026, 6, 1, 2, 10, 0, TimeSpan.Zero), e.ValidUntil);
    }

    [Theory]
    [InlineData("+39.0+140.9-10000/", null, 39.0, 140.9, 10.0)]
    [InlineData("+23.0+121.1+0/", "北緯２３．０度　東経１２１．１度　ごく浅い", 23.0, 121.1, 0.0)]
    [InlineData("-17.2+178.6-570000/", null, -17.2, 178.6, 570.0)]
    [InlineData("-05.1+151.3/", "南緯　５．１度　東経１５１．３度　深さ不明", -5.1, 151.3, null)]
    [InlineData("+38.0+142.9-10000/", "深さ不明", 38.0, 142.9, null)]
    public void Coordinate_Iso6709_LatLonDepthKm(string value, string? description, double lat, double lon, double? depth)
    {
        Assert.Equal(((double?)lat, (double?)lon, depth), JmaQuakes.Coordinate(value, description));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("N39E140")]
    [InlineData("+39.0+140.9-10000")]
    public void Coordinate_MissingOrMalformed_AllNull(string? value)
    {
        Assert.Equal(((double?)null, (double?)null, (double?)null), JmaQuakes.Coordinate(value, null));
    }

    [Fact]
    public void Vxse53_MaxIntWithTrailingSpaceAndUnreportedCity_Trimmed()
    {
        var body = """
            <Intensity><Observation><MaxInt>4 </MaxInt>
              <Pref><Name>秋田県</Name><Code>05</Code><MaxInt>4</MaxInt>
                <Area><Name>秋田県内陸南部</Name><Code>233</Code><MaxInt>4 </MaxInt>
                  <City><Name>横手市</Name><Code>0520300</Code><MaxInt>4 </MaxInt></City>
                  <City><Name>東成瀬村</Name><Code>0546400</Code><Condition>震度５弱以上未入電</Condition></City>
                </Area></Pref></Observation></Intensity>
            """;

        var e = Parse(Telegram("震源・震度に関する情報", body, eventId: "<EventID>20260601100000</EventID>", bodyNs: SeisNs));

        Assert.Equal(("jma-seismic", "4"), (e.Area("233").Scheme, e.Area("233").MaxIntensity));
        Assert.Equal(("05203", "4", EventSeverity.Moderate), (e.Area("0520300").Municipality, e.Area("0520300").MaxIntensity, e.Area("0520300").Severity));
        Assert.Equal(["4"], e.Area("0520300").Kinds);
        Assert.Equal(("5-?", EventSeverity.Severe), (e.Area("0546400").MaxIntensity, e.Area("0546400").Severity));
        Assert.Equal(["震度５弱以上未入電"], e.Area("0546400").Kinds);
        Assert.Equal("4", e.Earthquake!.MaxIntensity);
    }

    [Theory]
    [InlineData("7", EventSeverity.Extreme)]
    [InlineData("6+", EventSeverity.Extreme)]
    [InlineData("6-", EventSeverity.Extreme)]
    [InlineData("5+", EventSeverity.Severe)]
    [InlineData("5-", EventSeverity.Severe)]
    [InlineData("4", EventSeverity.Moderate)]
    [InlineData("3", EventSeverity.Minor)]
    [InlineData("2", EventSeverity.Info)]
    [InlineData("1", EventSeverity.Info)]
    public void IntensitySeverity_Table(string intensity, EventSeverity expected)
    {
        Assert.Equal(expected, JmaQuakes.IntensitySeverity(intensity));
    }

    [Fact]
    public void Magnitude_NaNOrUnknown_NullButDescriptionKept()
    {
        var body = """
            <Earthquake xmlns:e="http://xml.kishou.go.jp/jmaxml1/elementBasis1/"><OriginTime>2026-06-01T10:00:00+09:00</OriginTime>
              <Hypocenter><Area><Name>秋田県内陸南部</Name><e:Coordinate description="震源要素不明"></e:Coordinate></Area></Hypocenter>
              <e:Magnitude type="Mj" condition="不明" description="Ｍ不明">NaN</e:Magnitude></Earthquake>
            """;

        var quake = Parse(Telegram("震源に関する情報", body, eventId: "<EventID>1</EventID>", bodyNs: SeisNs)).Earthquake!;

        Assert.Equal(("秋田県内陸南部", (double?)null, (double?)null, (double?)null, (double?)null, "Ｍ不明"),
            (quake.Hypocenter, quake.Lat, quake.Lon, quake.DepthKm, quake.Magnitude, quake.MagnitudeText));
    }

    [Fact]
    public void Tsunami_KindAgainstLastKind_Status()
    {
        static string Item(string code, string kind, string kindCode, string last, string lastCode) =>
            $"<Item><Area><Name>{code}</Name><Code>{code}</Code></Area><Category><Kind><Name>{kind}</Name><Code>{kindCode}</Code></Kind>"
            + $"<LastKind><Name>{last}</Name><Code>{lastCode}</Code></LastKind></Category></Item>";
        var body = "<Tsunami><Forecast>"
            + Item("100", "津波警報", "51", "津波注意報", "62")
            + Item("101", "津波注意報", "62", "津波注意報", "62")
            + Item("102", "津波警報解除", "50", "津波警報", "51")
            + Item("103", "津波予報（若干の海面変動）", "71", "津波注意報", "62")
            + "</Forecast></Tsunami>";

        var e = Parse(Telegram("津波警報・注意報・予報a", body, eventId: "<EventID>20260601100000 20260601101500</EventID>", bodyNs: SeisNs));

        Assert.Equal(("発表", EventSeverity.Severe), (e.Area("100").Status, e.Area("100").Severity));
        Assert.Equal(("継続", EventSeverity.Moderate), (e.Area("101").Status, e.Area("101").Severity));
        Assert.Equal(("解除", EventSeverity.Info), (e.Area("102").Status, e.Area("102").Severity));
        Assert.Empty(e.Area("102").Kinds);
        Assert.Equal("解除", e.Area("103").Status);
        Assert.Equal(EventLifecycle.New, e.Lifecycle);
        Assert.Equal("津波警報・注意報・予報a|秋田地方気象台|通常|20260601100000", e.SeriesKey);
    }

    [Theory]
    [InlineData("""<Alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>""", "feeds.unrecognized")]
    [InlineData("""<Report xmlns="http://xml.publiccommons.ne.jp/pcxml1/3"><Control/></Report>""", "feeds.unrecognized")]
    [InlineData("""<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"/>""", "feeds.invalid")]
    public void NotAUsableReport_Rejected(string xml, string code)
    {
        var ex = Assert.Throws<FeedRejectedException>(() => Parse(xml));

        Assert.Equal(code, ex.Code);
    }

    [Theory]
    [InlineData("<DateTime>2026-06-01T01:02:03Z</DateTime>", "<DateTime>yesterday</DateTime>")]
    [InlineData("<Status>通常</Status>", "<Status>本番</Status>")]
    [InlineData("<InfoType>発表</InfoType>", "<InfoType>続報</InfoType>")]
    [InlineData("<Title>気象特別警報・警報・注意報</Title>", "<Title> </Title>")]
    [InlineData("<InfoType>発表</InfoType>", "")]
    public void MissingOrBadControlFields_RejectedAsInvalid(string from, string to)
    {
        var xml = Telegram("気象特別警報・警報・注意報").Replace(from, to, StringComparison.Ordinal);

        var ex = Assert.Throws<FeedRejectedException>(() => Parse(xml));

        Assert.Equal("feeds.invalid", ex.Code);
    }
}
