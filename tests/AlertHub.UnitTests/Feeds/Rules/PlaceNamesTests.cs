using AlertHub.Core.Feeds.Names;
using AlertHub.Server.Features.Feeds;
using AlertHub.Tests.Shared;
using AlertHub.UnitTests.Feeds.Safety;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Feeds.Rules;

/// <summary>Romanised names for English texts: the hub's own small table, and JMA's code table imported at run time.</summary>
public sealed class PlaceNamesTests
{
    private static PlaceNames Names(params string[] files) => new(Options.Create(new PlaceNamesOptions { Files = [.. files] }), new TestHostEnvironment());

    /// <summary>Every Akita municipality of JMA's city code table (../shared/geo/codes), romanised from its kana, equals its official English name.</summary>
    [SharedDataFact]
    public void KanaRomaji_AkitaMunicipalitiesFromJmaCodeTable_AreTheirOfficialEnglishNames()
    {
        var expected = new Dictionary<string, string>
        {
            ["秋田市"] = "Akita City", ["能代市"] = "Noshiro City", ["横手市"] = "Yokote City", ["大館市"] = "Odate City", ["男鹿市"] = "Oga City",
            ["湯沢市"] = "Yuzawa City", ["鹿角市"] = "Kazuno City", ["由利本荘市"] = "Yurihonjo City", ["潟上市"] = "Katagami City", ["大仙市"] = "Daisen City",
            ["北秋田市"] = "Kitaakita City", ["にかほ市"] = "Nikaho City", ["仙北市"] = "Semboku City", ["小坂町"] = "Kosaka Town", ["上小阿仁村"] = "Kamikoani Village",
            ["藤里町"] = "Fujisato Town", ["三種町"] = "Mitane Town", ["八峰町"] = "Happo Town", ["五城目町"] = "Gojome Town", ["八郎潟町"] = "Hachirogata Town",
            ["井川町"] = "Ikawa Town", ["大潟村"] = "Ogata Village", ["美郷町"] = "Misato Town", ["羽後町"] = "Ugo Town", ["東成瀬村"] = "Higashinaruse Village",
        };
        var rows = File.ReadLines(SharedData.Path("geo", "codes", "jma_citycode_2024-10-25_tmiyachi.csv")!).Skip(1)
            .Select(l => l.Split(',')).Where(c => c[0].StartsWith("05", StringComparison.Ordinal)).ToList();

        Assert.Equal(25, rows.Count);
        Assert.All(rows, c => Assert.Equal(expected[c[1]], KanaRomaji.PlaceName(c[1], c[2])));
    }

    [Theory]
    [InlineData("ぐんまけん", "群馬県", "Gunma Prefecture")]
    [InlineData("とうきょうと", "東京都", "Tokyo")]
    [InlineData("ほっかいどう", "北海道", "Hokkaido")]
    [InlineData("きょうとふ", "京都府", "Kyoto Prefecture")]
    [InlineData("しんじゅくく", "新宿区", "Shinjuku Ward")]
    [InlineData("ジュウモンジ", "十文字", "Jumonji")]
    [InlineData("はっちょう", "八丁", "Hatcho")]
    public void KanaRomaji_HepburnAsPlaceNamesAreSigned(string kana, string name, string english) =>
        Assert.Equal(english, KanaRomaji.PlaceName(name, kana));

    [Theory]
    [InlineData(null)]
    [InlineData("Yokote")]
    public void KanaRomaji_NoKana_IsNull(string? kana) => Assert.Null(KanaRomaji.PlaceName("横手市", kana));

    [Fact]
    public void BuiltIn_DemoCityPrefecturesAndJmaRegions_HaveReadingAndEnglish_UnknownStaysJapanese()
    {
        var names = Names();

        Assert.Equal(new PlaceName("横手市", "よこてし", "Yokote City"), names.Describe("横手市"));
        Assert.Equal("横手市（よこてし）", names.Easy("横手市"));
        Assert.Equal("Masuda (demo)", names.English("増田（デモ）"));
        Assert.Equal(new PlaceName("岩手県内陸南部", "いわてけん ないりく なんぶ", "southern inland Iwate Prefecture"), names.Describe("岩手県内陸南部"));
        Assert.Equal("off the coast of Miyagi Prefecture", names.English("宮城県沖"));
        Assert.Equal("湯沢市", names.English("湯沢市")); // not in the demo set: Japanese, not a guess
        Assert.Equal("湯沢市", names.Easy("湯沢市"));
        Assert.Equal("ニューギニア付近", names.English("ニューギニア付近"));
    }

    [SharedDataFact]
    public void Imported_JmaCityCodeTable_RomanisesEveryMunicipality()
    {
        var names = Names(SharedData.Path("geo", "codes", "jma_citycode_2024-10-25_tmiyachi.csv")!);

        Assert.True(names.Count > 1700, $"{names.Count} names");
        Assert.Equal("Yuzawa City", names.English("湯沢市"));
        Assert.Equal("湯沢市（ゆざわし）", names.Easy("湯沢市"));
        Assert.Equal("Shinjuku Ward", names.English("新宿区"));
        Assert.Equal("Yokote City", names.English("横手市"));
    }

    [SharedDataFact]
    public void Imported_AkitaIndexWithNameKanaColumns_IsReadToo()
    {
        var names = Names(SharedData.Path("geo", "akita_municipality_index.csv")!);

        Assert.Equal("Higashinaruse Village", names.English("東成瀬村"));
    }

    [Fact]
    public void Imported_FileWithoutNameOrReading_FailsAtStart()
    {
        var path = Path.Combine(Path.GetTempPath(), $"names-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "code,population\n05203,86000\n");
        try
        {
            Assert.Throws<InvalidOperationException>(() => Names(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
