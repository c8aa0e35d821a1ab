using System.Text;
using AlertHub.Core.Feeds;
using AlertHub.Tests.Shared;
using AlertHub.UnitTests.Feeds.Safety;

namespace AlertHub.UnitTests.Feeds.Cap;

public sealed class CapParserTests
{
    [FeedFixtureTheory]
    //          file                              lifecycle                  operational          severity                 languages (as given)  category areas shapes
    [InlineData("CanadaNaad.xml", EventLifecycle.New, Operational.Real, EventSeverity.Minor, "en-CA,fr-CA", "Met", 10, 1)]
    [InlineData("australia_bom.cap.xml", EventLifecycle.New, Operational.Real, EventSeverity.Info, "en-AU", "Met", 7, 0)]
    [InlineData("earthquake.cap.xml", EventLifecycle.New, Operational.Real, EventSeverity.Info, "en-US", "Geo", 1, 1)]
    [InlineData("iceland_met_office.cap.xml", EventLifecycle.New, Operational.Real, EventSeverity.Moderate, "is-IS,en-US", "Met", 2, 1)]
    [InlineData("mexico.xml", EventLifecycle.Update, Operational.Real, EventSeverity.Info, "es-419", "Met", 1, 1)]
    [InlineData("no_info_tag.cap.xml", EventLifecycle.Cancel, Operational.Real, EventSeverity.Info, "en-US", "cap", 0, 0)]
    [InlineData("ph.cap.xml", EventLifecycle.New, Operational.Test, EventSeverity.Minor, "en-US", "Met", 1, 1)]
    [InlineData("rfs.xml", EventLifecycle.New, Operational.Real, EventSeverity.Minor, "en-AU", "Other", 1, 1)]
    [InlineData("sweden.cap.xml", EventLifecycle.New, Operational.Real, EventSeverity.Info, "sv-SE", "Other", 2, 0)]
    [InlineData("taiwan.cap.xml", EventLifecycle.New, Operational.Real, EventSeverity.Moderate, "zh-tw", "Infra", 1, 0)]
    [InlineData("v1dot1_appendix_adot2.xml", EventLifecycle.New, Operational.Real, EventSeverity.Severe, "en-US", "Met", 3, 1)]
    [InlineData("v1dot2_appendix_adot1.xml", EventLifecycle.New, Operational.Real, EventSeverity.Severe, "en-US", "Security", 1, 0)]
    [InlineData("v1dot2_appendix_adot2.xml", EventLifecycle.New, Operational.Real, EventSeverity.Severe, "en-US", "Met", 3, 1)]
    [InlineData("v1dot2_appendix_adot4.xml", EventLifecycle.New, Operational.Real, EventSeverity.Severe, "en-US,es-US", "Rescue", 1, 0)]
    [InlineData("wcatwc-warning.cap.xml", EventLifecycle.Update, Operational.Real, EventSeverity.Extreme, "en-US", "Geo", 2, 0)]
    public void CapFixture_Parses_WithExpectedLifecycleStatusSeverityLanguagesCategoryAndAreas(
        string file, EventLifecycle lifecycle, Operational operational, EventSeverity severity, string languages, string category, int areas, int shapes)
    {
        var e = FeedFixtures.Parse("cap", file);

        Assert.Equal(FeedSource.Cap, e.Source);
        Assert.Equal("CAP", e.Family);
        Assert.Equal(category, e.Category);
        Assert.True(e.Interpreted);
        Assert.Equal(lifecycle, e.Lifecycle);
        Assert.Equal(operational, e.Operational);
        Assert.Equal(severity, e.Severity);
        Assert.Equal(languages.Split(','), e.Texts.Keys);
        Assert.Equal(areas, e.Areas.Count);
        Assert.Equal(shapes, e.Shapes.Count);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$", e.Revision);
        Assert.Equal(TimeSpan.Zero, e.IssuedAt.Offset);
        Assert.False(string.IsNullOrWhiteSpace(e.MainText.Headline));
    }

    [SharedDataFact]
    public void CanadaNaad_TwoLanguages_KeepsEnglishFirstAndMergesAreasAcrossLanguages()
    {
        var e = FeedFixtures.Parse("cap", "CanadaNaad.xml");

        Assert.Equal("cap-pac@canada.ca,urn:oid:2.49.0.1.124.3026064006.2019", e.SeriesKey);
        Assert.Equal("special weather statement in effect", e.MainText.Headline);
        Assert.Equal(e.Texts["en-CA"], e.MainText);
        Assert.Same(e.Texts["en-CA"], e.TextIn("en"));
        Assert.NotEqual(e.Texts["en-CA"].Headline, e.Texts["fr-CA"].Headline);
        Assert.Empty(e.References); // <references /> is empty
        Assert.Equal(new DateTimeOffset(2019, 7, 13, 1, 59, 29, TimeSpan.Zero), e.ValidUntil);
        var clc = Assert.Single(e.Areas, a => a.Scheme == "cap:layer:EC-MSC-SMC:1.0:CLC");
        Assert.Equal("022400", clc.Code);
        Assert.Equal(["weather"], clc.Kinds); // eventCode, the same in en and fr
        Assert.Null(clc.Municipality);
    }

    [SharedDataFact]
    public void Adot2_Polygon_IsLatitudeFirstAndClosed()
    {
        var e = FeedFixtures.Parse("cap", "v1dot2_appendix_adot2.xml");

        var polygon = Assert.Single(e.Shapes).Polygon!;
        Assert.Equal(4326, polygon.SRID);
        Assert.Equal(5, polygon.Coordinates.Length);
        Assert.Equal((-120.14, 38.47), (polygon.Coordinates[0].X, polygon.Coordinates[0].Y)); // "38.47,-120.14": X = lon, Y = lat
        Assert.True(polygon.IsValid);
        Assert.Equal(["006109", "006009", "006003"], e.Areas.Select(a => a.Code));
        Assert.All(e.Areas, a => Assert.Equal(("cap:SAME", EventSeverity.Severe), (a.Scheme, a.Severity)));
        Assert.Equal(["SVR"], e.Areas[0].Kinds);
        Assert.Equal(new DateTimeOffset(2003, 6, 17, 21, 57, 0, TimeSpan.Zero), e.IssuedAt);
        Assert.Equal("2003-06-17T21:57:00.0000000Z", e.Revision);
        Assert.Equal(new DateTimeOffset(2003, 6, 17, 23, 0, 0, TimeSpan.Zero), e.ValidUntil);
        Assert.Equal("TAKE COVER IN A SUBSTANTIAL SHELTER UNTIL THE STORM PASSES.", e.MainText.Instruction);
    }

    [SharedDataFact]
    public void Ph_TestStatusPolygon_ParsesLatLonOrder()
    {
        var e = FeedFixtures.Parse("cap", "ph.cap.xml");

        Assert.Equal(Operational.Test, e.Operational);
        var polygon = Assert.Single(e.Shapes).Polygon!;
        Assert.Equal((120d, 21d), (polygon.Coordinates[0].X, polygon.Coordinates[0].Y));
        Assert.Equal((113d, 9.5d), (polygon.Coordinates[4].X, polygon.Coordinates[4].Y));
        Assert.Equal("Philippine Area of Responsibility", Assert.Single(e.Areas).Name);
    }

    [SharedDataFact]
    public void Earthquake_Cap11CircleAndPastUrgency_IsANewReportNotAnAllClear_WithCircleInMetres()
    {
        var e = FeedFixtures.Parse("cap", "earthquake.cap.xml");

        Assert.Equal(EventLifecycle.New, e.Lifecycle); // urgency Past, but no responseType AllClear: a report, not the end of anything
        var circle = Assert.Single(e.Shapes);
        Assert.Equal((-16.053, -173.274, 0d), (circle.Lat!.Value, circle.Lon!.Value, circle.RadiusMeters!.Value));
        Assert.Equal("EQ 6.3 Neiafu, Tonga - PRELIMINARY REPORT", e.MainText.Headline);
        Assert.Equal("USGS-earthquakes-us2010apcd.6.20100831T000925.496Z", e.SourceReference);
    }

    [SharedDataFact]
    public void NoInfoTag_CancelWithoutInfo_StillHasOneTextAndJoinsTheOriginalSeries()
    {
        var e = FeedFixtures.Parse("cap", "no_info_tag.cap.xml");

        Assert.Equal(EventLifecycle.Cancel, e.Lifecycle);
        Assert.Equal("AtHoc,1017033100951096-517189320160225203219800", e.SeriesKey);
        Assert.Equal(["AtHoc,1017033100951096-517189320160225203219800,2016-02-25T12:32:19-08:00"], e.References);
        var text = Assert.Single(e.Texts);
        Assert.Equal("en-US", text.Key); // CAP's default language
        Assert.Equal("1017033100951096-517189320160225203219800_Cancel", text.Value.Headline);
        Assert.Empty(e.Areas);
        Assert.Null(e.ValidUntil);
    }

    [SharedDataFact]
    public void Wcatwc_UpdateReferencingAnotherSenderString_JoinsTheReferencedSeries()
    {
        var e = FeedFixtures.Parse("cap", "wcatwc-warning.cap.xml");

        Assert.Equal(EventLifecycle.Update, e.Lifecycle);
        Assert.Equal("PAAQ,PAAQ-1-lqw6d6", e.SeriesKey);
        Assert.Equal(EventSeverity.Extreme, e.Severity);
    }

    [SharedDataFact]
    public void Rfs_CapInsideEdxl_IsCapWithCircleAndGeocode()
    {
        var e = FeedFixtures.Parse("cap", "rfs.xml");

        Assert.Equal(FeedSource.Cap, e.Source);
        Assert.Equal("webmaster@rfs.nsw.gov.au,2014-05-08T10:31:00-00:00:160068", e.SeriesKey);
        Assert.Equal("MVA Gwandalan", e.MainText.Headline);
        var circle = Assert.Single(e.Shapes);
        Assert.Equal((-33.1347, 151.558), (circle.Lat!.Value, circle.Lon!.Value));
        var area = Assert.Single(e.Areas);
        Assert.Equal(("cap:urn:oasis:names:tc:emergency:cap:1.2:profile:CAP-AU:1.0:ISO3166-2", "AU-NSW"), (area.Scheme, area.Code));
        Assert.Equal("feeds.unrecognized", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(FeedFixtures.Read("cap", "rfs.xml"), FeedSource.LAlert)).Code);
    }

    [SharedDataFact]
    public void Taiwan_BomAndLowercaseLanguage_IsChineseKeyed()
    {
        var e = FeedFixtures.Parse("cap", "taiwan.cap.xml");

        Assert.Equal("明德水庫:洩洪中", e.Texts["zh-tw"].Headline);
        Assert.Same(e.Texts["zh-tw"], e.TextIn("zh"));
        Assert.Equal(("cap:Taiwan_Geocode_100", "1000512", "苗栗縣頭屋鄉"), (e.Areas[0].Scheme, e.Areas[0].Code, e.Areas[0].Name));
        Assert.Equal(new DateTimeOffset(2014, 5, 14, 13, 10, 0, TimeSpan.Zero), e.ValidUntil);
    }

    [SharedDataFact]
    public void Adot4_EnglishAndSpanish_HasTwoTextsOneArea()
    {
        var e = FeedFixtures.Parse("cap", "v1dot2_appendix_adot4.xml");

        Assert.Equal("Amber Alert in Los Angeles County", e.Texts["en-US"].Headline);
        Assert.Equal("Alerta Amber en el condado de Los Ángeles", e.TextIn("es")!.Headline);
        Assert.Equal("006037", Assert.Single(e.Areas).Code);
    }

    /// <summary>
    /// The spec's appendix A.2 is an Alert without references; these Update and Cancel messages (written for this
    /// test) reference it and must land in its series with a later revision.
    /// </summary>
    [SharedDataFact]
    public void UpdateAndCancel_ReferencingAdot2_JoinTheSameSeriesWithLaterRevisions()
    {
        var original = FeedFixtures.Parse("cap", "v1dot2_appendix_adot2.xml");
        const string first = "KSTO@NWS.NOAA.GOV,KSTO1055887203,2003-06-17T14:57:00-07:00";
        var update = FeedParser.Parse(Alert("KSTO1055887204", "2003-06-17T15:20:00-07:00", "Update", first, "<severity>Severe</severity>"));
        var cancel = FeedParser.Parse(Alert("KSTO1055887205", "2003-06-17T15:40:00-07:00", "Cancel",
            $"KSTO@NWS.NOAA.GOV,KSTO1055887204,2003-06-17T15:20:00-07:00 {first}", null));

        Assert.Equal(original.SeriesKey, update.SeriesKey);
        Assert.Equal(original.SeriesKey, cancel.SeriesKey);
        Assert.Equal("KSTO@NWS.NOAA.GOV,KSTO1055887203", original.SeriesKey);
        Assert.Equal(EventLifecycle.Update, update.Lifecycle);
        Assert.Equal(EventLifecycle.Cancel, cancel.Lifecycle);
        Assert.True(string.CompareOrdinal(original.Revision, update.Revision) < 0);
        Assert.True(string.CompareOrdinal(update.Revision, cancel.Revision) < 0);
        Assert.Equal(2, cancel.References.Count);
    }

    [Theory]
    [InlineData("Actual", Operational.Real)]
    [InlineData("Exercise", Operational.Exercise)]
    [InlineData("System", Operational.Test)]
    [InlineData("Test", Operational.Test)]
    [InlineData("Draft", Operational.Test)]
    public void Status_MapsOperational(string status, Operational expected)
    {
        var e = FeedParser.Parse(Alert("s-1", "2024-07-01T10:00:00+09:00", "Alert", null, "<severity>Minor</severity>", status));

        Assert.Equal(expected, e.Operational);
    }

    [Theory]
    [InlineData("Extreme", EventSeverity.Extreme)]
    [InlineData("Severe", EventSeverity.Severe)]
    [InlineData("Moderate", EventSeverity.Moderate)]
    [InlineData("Minor", EventSeverity.Minor)]
    [InlineData("Unknown", EventSeverity.Info)]
    public void Severity_MapsHubSeverity(string severity, EventSeverity expected)
    {
        var e = FeedParser.Parse(Alert("s-1", "2024-07-01T10:00:00+09:00", "Alert", null, $"<severity>{severity}</severity>"));

        Assert.Equal(expected, e.Severity);
    }

    [Fact]
    public void ResponseTypeAllClear_OnEveryInfo_IsAllClear()
    {
        var e = FeedParser.Parse(Alert("s-2", "2024-07-01T12:00:00+09:00", "Update", "city.yokote.test,s-1,2024-07-01T10:00:00+09:00",
            "<responseType>AllClear</responseType><severity>Minor</severity>"));

        Assert.Equal(EventLifecycle.AllClear, e.Lifecycle);
        Assert.Equal("city.yokote.test,s-1", e.SeriesKey);
    }

    /// <summary>The real USGS report turned into a revision: msgType Update with references, a revised magnitude, urgency still Past.</summary>
    [SharedDataFact]
    public void Update_WithPastUrgencyButNoAllClear_IsARevisionNotAnAllClear()
    {
        var original = FeedFixtures.Parse("cap", "earthquake.cap.xml");
        var xml = Encoding.UTF8.GetString(FeedFixtures.Read("cap", "earthquake.cap.xml"))
            .Replace("<msgType>Alert</msgType>", "<msgType>Update</msgType>", StringComparison.Ordinal)
            .Replace("<scope>Public</scope>", "<scope>Public</scope>\n\t<references>http://earthquake.usgs.gov/research/monitoring/anss/neic/,USGS-earthquakes-us2010apcd.6.20100831T000925.496Z,2010-08-31T00:09:25-05:00</references>", StringComparison.Ordinal)
            .Replace("<identifier>USGS-earthquakes-us2010apcd.6.20100831T000925.496Z</identifier>", "<identifier>USGS-earthquakes-us2010apcd.7</identifier>", StringComparison.Ordinal)
            .Replace("<sent>2010-08-31T00:09:25-05:00</sent>", "<sent>2010-08-31T01:10:00-05:00</sent>", StringComparison.Ordinal)
            .Replace("<value>6.3</value>", "<value>6.4</value>", StringComparison.Ordinal);
        Assert.Contains("<urgency>Past</urgency>", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("AllClear", xml, StringComparison.Ordinal);

        var revision = FeedParser.Parse(Encoding.UTF8.GetBytes(xml));

        Assert.Equal(EventLifecycle.Update, revision.Lifecycle);
        Assert.Equal(original.SeriesKey, revision.SeriesKey);
        Assert.True(string.CompareOrdinal(original.Revision, revision.Revision) < 0);
        Assert.Equal(6.4, revision.Earthquake!.Magnitude);
    }

    [SharedDataFact]
    public void UsgsEarthquake_KeepsCategoryEventCodeParametersAndEarthquakeFacts()
    {
        var e = FeedFixtures.Parse("cap", "earthquake.cap.xml");

        Assert.Equal("Geo", e.Category);
        var info = Assert.Single(e.CapInfos!);
        Assert.Equal(("en-US", "Earthquake", "Past"), (info.Language, info.Event, info.Urgency));
        Assert.Equal(["Geo"], info.Categories);
        Assert.Equal([new CapValue("SAME", "EQW")], info.EventCodes);
        Assert.Contains(new CapValue("Magnitude", "6.3"), info.Parameters);
        Assert.Contains(new CapValue("Depth", "38.7 km (24.0 miles)"), info.Parameters);
        Assert.Equal(12, info.Parameters.Count);
        Assert.Equal(6.3, e.Earthquake!.Magnitude);
        Assert.Equal(38.7, e.Earthquake.DepthKm);
        Assert.Equal(new DateTimeOffset(2010, 8, 30, 23, 25, 40, TimeSpan.Zero), e.Earthquake.OriginTime);
        Assert.Equal((-16.053, -173.274), (e.Earthquake.Lat, e.Earthquake.Lon));
    }

    [SharedDataFact]
    public void CanadaNaad_EachInfoKeepsItsLanguageTagAreaDescsAndWhichPolygonIsWhose()
    {
        var e = FeedFixtures.Parse("cap", "CanadaNaad.xml");

        Assert.Equal(["en-CA", "fr-CA"], e.CapInfos!.Select(i => i.Language));
        var en = e.CapInfos![0].Areas;
        var fr = e.CapInfos[1].Areas;
        Assert.Equal(en.Count, fr.Count);
        var polygonArea = Assert.Single(en, a => a.Shapes.Count > 0);
        Assert.Equal("Channel-Port aux Basques and vicinity", polygonArea.AreaDesc);
        Assert.Equal("Channel-Port aux Basques et les environs", Assert.Single(fr, a => a.Shapes.Count > 0).AreaDesc);
        Assert.Equal(polygonArea.Shapes, Assert.Single(fr, a => a.Shapes.Count > 0).Shapes); // one shape, both languages point at it
        Assert.NotNull(e.Shapes[Assert.Single(polygonArea.Shapes)].Polygon);
        Assert.Equal(new CapValue("layer:EC-MSC-SMC:1.0:CLC", "022400"), polygonArea.Geocodes[0]);
        Assert.Equal(10, polygonArea.Geocodes.Count);
        Assert.All(e.CapInfos, i => Assert.Equal(["Met"], i.Categories));
        Assert.Contains(new CapValue("layer:EC-MSC-SMC:1.0:Alert_Name", "special weather statement"), e.CapInfos[0].Parameters);
    }

    [Theory]
    [InlineData("Ack")]
    [InlineData("Error")]
    [InlineData("Bogus")]
    public void NonAlertMsgType_IsInvalid(string msgType)
    {
        var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(Alert("s-1", "2024-07-01T10:00:00+09:00", msgType, null, null)));

        Assert.Equal("feeds.invalid", ex.Code);
    }

    [Fact]
    public void JapaneseInfo_JisGeocodeCirclePolygon_AreReadWithMunicipalityAndMetres()
    {
        const string info = """
            <info><language>ja-JP</language><category>Met</category><event>大雨</event><urgency>Immediate</urgency>
              <severity>Severe</severity><certainty>Observed</certainty><headline>横手市に大雨警報</headline>
              <area><areaDesc>秋田県横手市</areaDesc>
                <polygon>39.40,140.45 39.40,140.70 39.20,140.70 39.20,140.45</polygon>
                <circle>39.31372,140.56661 3</circle>
                <geocode><valueName>JISX0402</valueName><value>052035</value></geocode>
                <geocode><valueName>SAME</valueName><value>052035</value></geocode>
              </area></info>
            <info><language>en-US</language><category>Met</category><event>Heavy rain</event><urgency>Immediate</urgency>
              <severity>Severe</severity><certainty>Observed</certainty><headline>Heavy rain warning for Yokote</headline></info>
            """;
        var e = FeedParser.Parse(Alert("jp-1", "2024-07-01T10:00:00+09:00", "Alert", null, null, infoXml: info));

        Assert.Equal(["ja-JP", "en-US"], e.Texts.Keys);
        Assert.Equal("横手市に大雨警報", e.MainText.Headline);
        var jis = Assert.Single(e.Areas, a => a.Scheme == "cap:JISX0402");
        Assert.Equal("05203", jis.Municipality);
        Assert.Null(Assert.Single(e.Areas, a => a.Scheme == "cap:SAME").Municipality); // not a JIS table, not guessed
        var polygon = Assert.Single(e.Shapes, s => s.Polygon is not null).Polygon!;
        Assert.Equal(5, polygon.Coordinates.Length); // closed by the parser
        Assert.True(polygon.Contains(new NetTopologySuite.Geometries.Point(140.56661, 39.31372)));
        var circle = Assert.Single(e.Shapes, s => s.Polygon is null);
        Assert.Equal((39.31372, 140.56661, 3000d), (circle.Lat!.Value, circle.Lon!.Value, circle.RadiusMeters!.Value));
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 1, 0, 0, TimeSpan.Zero), e.IssuedAt);
    }

    [Theory]
    [InlineData("<polygon>39.4,140.45 39.4</polygon>")]
    [InlineData("<polygon>139.4,40.45 39.4,140.7 39.2,140.7</polygon>")]
    [InlineData("<circle>39.3,140.5</circle>")]
    [InlineData("<circle>39.3;140.5 3</circle>")]
    public void BrokenShape_IsInvalid(string shape)
    {
        var info = $"<info><event>x</event><urgency>Immediate</urgency><severity>Minor</severity><certainty>Observed</certainty><area><areaDesc>a</areaDesc>{shape}</area></info>";

        var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(Alert("b-1", "2024-07-01T10:00:00+09:00", "Alert", null, null, infoXml: info)));

        Assert.Equal("feeds.invalid", ex.Code);
    }

    [Theory]
    [InlineData("<sender>x</sender><sent>2024-07-01T10:00:00+09:00</sent>")]
    [InlineData("<identifier>i</identifier><sent>2024-07-01T10:00:00+09:00</sent>")]
    [InlineData("<identifier>i</identifier><sender>x</sender><sent>yesterday</sent>")]
    public void MissingIdentitySenderOrSent_IsInvalid(string header)
    {
        var bytes = Encoding.UTF8.GetBytes($"<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">{header}<status>Actual</status><msgType>Alert</msgType></alert>");

        Assert.Equal("feeds.invalid", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes)).Code);
    }

    [Fact]
    public void Cap10OrOtherNamespace_IsUnrecognized()
    {
        var bytes = Encoding.UTF8.GetBytes("<alert xmlns=\"http://www.incident.com/cap/1.0\"><identifier>i</identifier></alert>");

        Assert.Equal("feeds.unrecognized", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes)).Code);
    }

    private static byte[] Alert(string identifier, string sent, string msgType, string? references, string? infoFields, string status = "Actual", string? infoXml = null)
    {
        var sender = identifier.StartsWith("KSTO", StringComparison.Ordinal) ? "KSTO@NWS.NOAA.GOV" : "city.yokote.test";
        var refs = references is null ? "" : $"<references>{references}</references>";
        var info = infoXml ?? (infoFields is null ? "" : $"<info><category>Met</category><event>SEVERE THUNDERSTORM</event><urgency>Immediate</urgency>{infoFields}<certainty>Observed</certainty></info>");
        var body = $"<identifier>{identifier}</identifier><sender>{sender}</sender><sent>{sent}</sent><status>{status}</status><msgType>{msgType}</msgType><scope>Public</scope>{refs}{info}";
        return Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<cap:alert xmlns:cap=\"urn:oasis:names:tc:emergency:cap:1.2\">{PrefixCap(body)}</cap:alert>");
    }

    // The hand-written info blocks are written unprefixed for readability; the alert uses the cap: prefix.
    private static string PrefixCap(string xml) =>
        System.Text.RegularExpressions.Regex.Replace(xml, @"<(/?)([a-zA-Z]+)>", "<$1cap:$2>");
}
