using AlertHub.Core.Feeds;
using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Feeds;
using AlertHub.Server.Features.Rules.Templates;
using AlertHub.Tests.Shared;
using AlertHub.UnitTests.Feeds.Safety;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Feeds.Rules;

/// <summary>
/// The texts the hub ships per family, filled from real documents (../shared/fixtures/feeds): each headline says what
/// happened, where and who said so, in 日本語, やさしい日本語 and English.
/// </summary>
public sealed class ResidentTemplatesTests
{
    private static readonly PlaceNames Names = new(Options.Create(new PlaceNamesOptions
    {
        Files = SharedData.Path("geo", "codes", "jma_citycode_2024-10-25_tmiyachi.csv") is { } table ? [table] : [],
    }), new TestHostEnvironment());

    private static Dictionary<string, AlertText> Render(HazardEvent e, Func<EventArea, bool> acts)
    {
        var values = TemplateValues.Build(e, e.Areas.Where(acts).ToList(), Names);
        return ResidentTemplates.For(ResidentTemplates.FamilyOf(e)).ToDictionary(kv => kv.Key,
            kv => new AlertText(TemplateValues.Apply(kv.Value.Headline, values), TemplateValues.Apply(kv.Value.Body, values), TemplateValues.Apply(kv.Value.Instruction, values)));
    }

    [SharedDataFact]
    public void WeatherWarning_RealVpww53_JmaIssuedTheEmergencyWarning_NotTheCity()
    {
        var e = FeedFixtures.Parse("jma", "15_14_01_170216_VPWW53.xml");

        var texts = Render(e, a => a.Code == "1310400");

        Assert.Equal("気象庁が新宿区に大雨特別警報を発表しました", texts["ja"].Headline);
        Assert.Equal("1月26日 17時20分、気象庁予報部が新宿区に大雨特別警報を発表しました。【警戒レベル5相当】", texts["ja"].Body);
        Assert.StartsWith("これまでに経験したことのないような重大な危険", texts["ja"].Instruction, StringComparison.Ordinal);
        Assert.Equal("新宿区（しんじゅくく）に おおあめ とくべつ けいほう が でました（きしょうちょう）", texts["ja-x-easy"].Headline);
        Assert.Equal("Heavy Rain Emergency Warning for Shinjuku Ward — Japan Meteorological Agency", texts["en"].Headline);
        Assert.Contains("(Alert level 5 equivalent)", texts["en"].Body, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void WeatherWarning_Real2026Vpww55_LevelNamesReadAsLevels()
    {
        var e = FeedFixtures.Parse("jma", "15_17_01_250630_VPWW55.xml");

        var texts = Render(e, a => a.Code == "3220100");

        Assert.Equal("気象庁が松江市にレベル３大雨警報を発表しました", texts["ja"].Headline);
        Assert.Equal("Heavy Rain Warning (Level 3) for Matsue City — Japan Meteorological Agency", texts["en"].Headline);
        Assert.Contains("おおあめ けいほう（レベル3）", texts["ja-x-easy"].Headline, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void Landslide_RealVxww50_NamesThePrefectureAndJmaAsJointIssuers()
    {
        var e = FeedFixtures.Parse("jma", "17_02_01_190529_VXWW50.xml");

        var texts = Render(e, a => a.Kinds.Count > 0 && a.Municipality is not null);

        Assert.StartsWith("北海道渡島総合振興局と気象庁が", texts["ja"].Headline, StringComparison.Ordinal);
        Assert.EndsWith("に土砂災害警戒情報を発表しました", texts["ja"].Headline, StringComparison.Ordinal);
        Assert.Contains("【警戒レベル4相当】", texts["ja"].Body, StringComparison.Ordinal);
        Assert.EndsWith("and the Japan Meteorological Agency", texts["en"].Headline, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void Tsunami_RealVtse41_GivesKindHeightAndFirstArrivalPerArea()
    {
        var e = FeedFixtures.Parse("jma", "20220918154907_08013775_VTSE41.xml");

        var texts = Render(e, a => a.Code == "802");

        Assert.Equal("気象庁が津波注意報を発表しました（宮古島・八重山地方）", texts["ja"].Headline);
        Assert.Contains("宮古島・八重山地方：津波注意報、予想される津波の高さ １ｍ、第1波 16時00分ごろ。", texts["ja"].Body, StringComparison.Ordinal);
        Assert.Contains("震源地は台湾付近で、震源はごく浅く、地震の規模（マグニチュード）は7.2と推定されます。", texts["ja"].Body, StringComparison.Ordinal);
        Assert.Contains("Tsunami Advisory, up to 1 m, first wave expected at about 16:00.", texts["en"].Body, StringComparison.Ordinal);
        Assert.StartsWith("海の中にいる人はただちに海から上がって", texts["ja"].Instruction, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void Tornado_RealVphw51_SaysItWasSighted()
    {
        var e = FeedFixtures.Parse("jma", "19_06_01_140425_VPHW51.xml");

        var texts = Render(e, a => a.Code == "260020");

        Assert.Equal("気象庁が北部に竜巻注意情報を発表しました", texts["ja"].Headline);
        Assert.Contains("竜巻などの激しい突風が目撃されています。", texts["ja"].Body, StringComparison.Ordinal);
        Assert.Contains("A tornado or similar violent gust has been sighted.", texts["en"].Body, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void Evacuation_RealLAlert_TheCityIssuesTheOrder()
    {
        var e = FeedFixtures.Parse("lalert", "soap1.xml");

        var texts = Render(e, a => a.Code == "131010001001");

        Assert.Equal("東京都千代田区が一ツ橋一丁目に避難準備を発令しました", texts["ja"].Headline);
        Assert.Equal("4月10日 18時54分、東京都千代田区が一ツ橋一丁目に避難準備【警戒レベル3】を発令しました。", texts["ja"].Body);
        Assert.StartsWith("高齢者や障害のある人など", texts["ja"].Instruction, StringComparison.Ordinal);
        Assert.StartsWith("Evacuation of Elderly People and Others for", texts["en"].Headline, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void Cap_RealUsgsReport_UsesTheSendersOwnWordsAndName()
    {
        var e = FeedFixtures.Parse("cap", "earthquake.cap.xml");

        var texts = Render(e, _ => true);

        Assert.Equal("EQ 6.3 Neiafu, Tonga - PRELIMINARY REPORT — U.S. Geological Survey", texts["en"].Headline);
        Assert.StartsWith("An earthquake with magnitude 6.3 occurred near Neiafu, Tonga", texts["en"].Body, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void Earthquake_FarFieldVxse53_NamesTheDetailedEpicentreAndUnknownMagnitude()
    {
        var e = FeedFixtures.Parse("jma", "20231120170318_06797589_VXSE53.xml");

        var texts = Render(e, _ => true);

        Assert.Contains("震源地はニューギニア付近（パプアニューギニア、ニューブリテン）で、地震の規模は分かっていません。", texts["ja"].Body, StringComparison.Ordinal);
        Assert.Contains("日本への津波の有無については現在調査中です。", texts["ja"].Body, StringComparison.Ordinal);
        Assert.Contains("JMA is still checking whether a tsunami will reach Japan.", texts["en"].Body, StringComparison.Ordinal);
        Assert.Contains("The magnitude is not yet known.", texts["en"].Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5-", "震度5弱", "しんど 5じゃく", "seismic intensity 5 Lower (JMA scale)")]
    [InlineData("6+", "震度6強", "しんど 6きょう", "seismic intensity 6 Upper (JMA scale)")]
    [InlineData("4", "震度4", "しんど 4", "seismic intensity 4 (JMA scale)")]
    [InlineData("5-?", "震度5弱以上（観測値は未入電）", "しんど 5じゃく いじょう", "seismic intensity 5 Lower or higher (JMA scale; readings not yet received)")]
    public void Intensity_ReadsInEachLanguage(string intensity, string ja, string easy, string en) =>
        Assert.Equal(new Words(ja, easy, en), HazardWords.Intensity(intensity));
}
