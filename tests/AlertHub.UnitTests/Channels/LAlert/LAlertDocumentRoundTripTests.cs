using AlertHub.Core.Feeds;
using AlertHub.Server.Features.Delivery.Channels.LAlert;

namespace AlertHub.UnitTests.Channels.LAlert;

/// <summary>Every document type the lalert channel writes, read back by the hub's own L-Alert parser into the same facts.</summary>
public sealed class LAlertDocumentRoundTripTests
{
    private static readonly DateTimeOffset At = new(2026, 7, 1, 9, 50, 0, TimeSpan.FromHours(9));
    private static readonly LAlertPublisherInfo Who = LAlertPublisherInfo.From(new LAlertOptions { SenderId = "bousai.city.yokote.example", OfficePhone = "0182-32-2111" });
    private static readonly Dictionary<string, int> Levels = new() { ["高齢者等避難"] = 3, ["避難指示"] = 4, ["緊急安全確保"] = 5 };

    private static readonly LAlertDistrict Masuda = new("name:増田地区", "増田地区", null, null, 39.2, 140.55);
    private static readonly LAlertDistrict Chuo = new("town:052030012000", "横手市中央町", null, "052030012000", 39.31, 140.56);
    private static readonly LAlertDistrict Hiraka = new("name:平鹿地区", "平鹿地区", "ひらかちく", null, 39.26, 140.51);

    private static LAlertHeader Header(int revision = 1, string type = "Report", string status = "Actual", (string, DateTimeOffset)? errata = null) =>
        new("7a3c1f0e-0000-4000-8000-000000000001", revision, type, status, Guid.NewGuid().ToString(), At.AddMinutes(revision), At, "秋田県横手市 避難情報",
            "避難指示 発令 2地区", "洪水", errata);

    [Fact]
    public void Evacuation_IssuedPerDistrict_ReadsBackAsTheSameOrders()
    {
        var entries = new List<EvacuationEntry>
        {
            new(Masuda, "避難指示", true, At), new(Chuo, "避難指示", true, At), new(Hiraka, "高齢者等避難", true, At),
        };

        var e = FeedParser.Parse(LAlertDocumentWriter.Evacuation(Header(), Who, entries, Levels));

        Assert.Equal((FeedSource.LAlert, "LALERT:EvacuationOrder", "evacuation", true), (e.Source, e.Family, e.Category, e.Interpreted));
        Assert.Equal(("7a3c1f0e-0000-4000-8000-000000000001", "000001"), (e.SeriesKey, e.Revision));
        Assert.Equal((EventLifecycle.New, Operational.Real), (e.Lifecycle, e.Operational));
        Assert.Equal((EventSeverity.Severe, 4), (e.Severity, e.AlertLevel));
        Assert.Empty(e.References);
        AssertDistrict(e, "name", "増田地区", "発令", "避難指示", 4);
        AssertDistrict(e, "town", "052030012000", "発令", "避難指示", 4);
        AssertDistrict(e, "name", "平鹿地区", "発令", "高齢者等避難", 3);
        var city = Assert.Single(e.Areas, a => a.Scheme == "jis6");
        Assert.Equal(("052035", "05203", "秋田県横手市"), (city.Code, city.Municipality, city.Name));
        Assert.Equal(3, e.Shapes.Count);
        Assert.Equal("秋田県横手市 避難情報", e.MainText.Headline);
        Assert.Equal("避難指示 発令 2地区", e.MainText.Body);
        Assert.Equal(At.AddMinutes(1), e.IssuedAt);
        Assert.Equal("秋田県横手市", e.Issuer);
    }

    [Fact]
    public void Evacuation_UpdateWithLiftsAndAWholeCityOrder_ReadsBackPerDistrict()
    {
        var entries = new List<EvacuationEntry>
        {
            new(LAlertDistricts.Whole("05203"), "緊急安全確保", true, At), new(Masuda, "避難指示", false, At.AddHours(1)),
        };

        var e = FeedParser.Parse(LAlertDocumentWriter.Evacuation(Header(3, "Update"), Who, entries, Levels));

        Assert.Equal((EventLifecycle.Update, "000003"), (e.Lifecycle, e.Revision));
        Assert.Equal(["7a3c1f0e-0000-4000-8000-000000000001,000002"], e.References);
        Assert.Equal((EventSeverity.Extreme, 5), (e.Severity, e.AlertLevel));
        AssertDistrict(e, "jis6", "052035", "発令", "緊急安全確保", 5);
        var lifted = Assert.Single(e.Areas, a => a.Code == "増田地区");
        Assert.Equal(("解除", EventSeverity.Info), (lifted.Status, lifted.Severity));
    }

    [Fact]
    public void Evacuation_EverythingLifted_IsAnAllClear()
    {
        var entries = new List<EvacuationEntry> { new(Masuda, "避難指示", false, At), new(Hiraka, "高齢者等避難", false, At) };

        var e = FeedParser.Parse(LAlertDocumentWriter.Evacuation(Header(4, "Update"), Who, entries, Levels));

        Assert.Equal(EventLifecycle.AllClear, e.Lifecycle);
        Assert.All(e.Areas.Where(a => a.Scheme == "name"), a => Assert.Equal("解除", a.Status));
    }

    [Fact]
    public void Evacuation_CorrectionAndWithdrawal_ReadAsCorrectionAndCancel()
    {
        var correction = FeedParser.Parse(LAlertDocumentWriter.Evacuation(Header(2, "Update", errata: ("先に発表した避難指示（平鹿地区）は誤りのため取り消します。", At)), Who,
            [new(Masuda, "避難指示", true, At)], Levels));
        var cancel = FeedParser.Parse(LAlertDocumentWriter.Evacuation(Header(3, "Cancel", errata: ("誤りのため取り消します。", At)) with
        {
            Headline = "秋田県横手市の先の発表は誤りのため取り消します。",
        }, Who, [], Levels));

        Assert.Equal(EventLifecycle.Correction, correction.Lifecycle);
        AssertDistrict(correction, "name", "増田地区", "発令", "避難指示", 4);
        Assert.DoesNotContain(correction.Areas, a => a.Code == "平鹿地区");
        Assert.Equal((EventLifecycle.Cancel, "000003"), (cancel.Lifecycle, cancel.Revision));
        Assert.DoesNotContain(cancel.Areas, a => a.Status is not null);
    }

    [Theory]
    [InlineData("Exercise", Operational.Exercise)]
    [InlineData("Test", Operational.Test)]
    [InlineData("Actual", Operational.Real)]
    public void AnyDocument_DrillsAndTests_AreNeverReadAsActual(string status, Operational expected)
    {
        var evacuation = FeedParser.Parse(LAlertDocumentWriter.Evacuation(Header(status: status), Who, [new(Masuda, "避難指示", true, At)], Levels));
        var general = FeedParser.Parse(LAlertDocumentWriter.General(Header(status: status), Who,
            new GeneralEntry("Alert", "生活情報", "その他", "【訓練】横手川 氾濫危険", "高い所へ避難してください。", null)));

        Assert.Equal(expected, evacuation.Operational);
        Assert.Equal(expected, general.Operational);
    }

    [Fact]
    public void Shelter_OpenCrowdedAndClosed_ReadBackWithTheirCounts()
    {
        var shelters = new List<ShelterEntry>
        {
            new("s1", "横手体育館", 39.31, 140.55, "避難所", "開設", "混雑", 200, 152, At, At),
            new("s2", "増田公民館", 39.20, 140.55, "避難所", "閉鎖", null, 80, 0, At, At),
        };

        var e = FeedParser.Parse(LAlertDocumentWriter.Shelter(Header() with { Title = "秋田県横手市 避難所情報" }, Who, shelters));

        Assert.Equal(("LALERT:Shelter", "shelter", EventLifecycle.New), (e.Family, e.Category, e.Lifecycle));
        var gym = Assert.Single(e.Areas, a => a.Name == "横手体育館");
        Assert.Equal(("開設", "05203"), (gym.Status, gym.Municipality));
        Assert.Equal(["避難所", "混雑", "定員200", "避難者数152"], gym.Kinds);
        var hall = Assert.Single(e.Areas, a => a.Name == "増田公民館");
        Assert.Equal("閉鎖", hall.Status);
        Assert.Equal(["避難所", "定員80", "避難者数0"], hall.Kinds);
        Assert.Equal(2, e.Shapes.Count);

        var allClosed = FeedParser.Parse(LAlertDocumentWriter.Shelter(Header(2, "Update"), Who, [shelters[1]]));
        Assert.Equal(EventLifecycle.AllClear, allClosed.Lifecycle);
    }

    [Fact]
    public void General_Notice_ReadsBackWithItsTitleTextAndSeries()
    {
        var header = Header() with { Title = "秋田県横手市 お知らせ", Headline = "給水所を開設しました" };

        var e = FeedParser.Parse(LAlertDocumentWriter.General(header, Who,
            new GeneralEntry("Disaster", "ライフライン", "給水", "給水所を開設しました", "横手体育館で給水しています。", "https://x.example/t/0123456789ab")));

        Assert.Equal(("LALERT:GeneralInformation", "other", false), (e.Family, e.Category, e.Interpreted));
        Assert.Equal((header.DocumentId, "000001", EventLifecycle.New), (e.SeriesKey, e.Revision, e.Lifecycle));
        Assert.Equal(("秋田県横手市 お知らせ", "給水所を開設しました"), (e.MainText.Headline, e.MainText.Body));
        Assert.Equal("05203", Assert.Single(e.Areas).Municipality);
    }

    private static void AssertDistrict(HazardEvent e, string scheme, string code, string status, string sort, int level)
    {
        var area = Assert.Single(e.Areas, a => a.Scheme == scheme && a.Code == code);
        Assert.Equal((status, level, "05203"), (area.Status, area.AlertLevel, area.Municipality));
        Assert.Equal([sort], area.Kinds);
    }
}
