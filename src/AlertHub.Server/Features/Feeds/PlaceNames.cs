using AlertHub.Core.Feeds.Names;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Feeds;

/// <summary>Configuration section <c>Feeds:PlaceNames</c>: readings and English names of places for resident messages.</summary>
public sealed class PlaceNamesOptions
{
    /// <summary>
    /// CSV files with a header naming a place-name column (<c>name</c>, <c>cityname</c>), a kana column (<c>kana</c>,
    /// <c>cityname_kn</c>, <c>name_kana</c>) and optionally an English column (<c>en</c>, <c>english</c>, <c>romaji</c>,
    /// <c>name_en</c>). Without an English column the name is romanised from its kana (よこてし → Yokote City). JMA's
    /// city code table (<c>citycode,cityname,cityname_kn</c>) works as is. Paths are relative to the content root.
    /// Default none: the hub's own small table covers its demo city (横手市, its districts) and the 47 prefectures.
    /// </summary>
    public List<string> Files { get; set; } = [];
}

/// <summary>A place's reading and English name, when known.</summary>
internal sealed record PlaceName(string Name, string? Kana, string? English);

/// <summary>
/// Readings (for やさしい日本語) and English names (for en texts and CAP) of the places feeds and areas name.
/// Built in: the 47 prefectures, the demo city (横手市 and its eight districts) and the 方角 parts JMA composes
/// seismic regions and epicentres from (岩手県内陸南部 → southern inland Iwate Prefecture). Imported files add or
/// override names at start. A name nobody knows stays Japanese in every language rather than being guessed.
/// </summary>
internal sealed class PlaceNames
{
    private const string DemoSuffix = "（デモ）";

    // The hub's own table: public facts (prefecture and municipality readings), written here, not copied.
    private static readonly (string Name, string Kana)[] Prefectures =
    [
        ("北海道", "ほっかいどう"), ("青森県", "あおもりけん"), ("岩手県", "いわてけん"), ("宮城県", "みやぎけん"), ("秋田県", "あきたけん"),
        ("山形県", "やまがたけん"), ("福島県", "ふくしまけん"), ("茨城県", "いばらきけん"), ("栃木県", "とちぎけん"), ("群馬県", "ぐんまけん"),
        ("埼玉県", "さいたまけん"), ("千葉県", "ちばけん"), ("東京都", "とうきょうと"), ("神奈川県", "かながわけん"), ("新潟県", "にいがたけん"),
        ("富山県", "とやまけん"), ("石川県", "いしかわけん"), ("福井県", "ふくいけん"), ("山梨県", "やまなしけん"), ("長野県", "ながのけん"),
        ("岐阜県", "ぎふけん"), ("静岡県", "しずおかけん"), ("愛知県", "あいちけん"), ("三重県", "みえけん"), ("滋賀県", "しがけん"),
        ("京都府", "きょうとふ"), ("大阪府", "おおさかふ"), ("兵庫県", "ひょうごけん"), ("奈良県", "ならけん"), ("和歌山県", "わかやまけん"),
        ("鳥取県", "とっとりけん"), ("島根県", "しまねけん"), ("岡山県", "おかやまけん"), ("広島県", "ひろしまけん"), ("山口県", "やまぐちけん"),
        ("徳島県", "とくしまけん"), ("香川県", "かがわけん"), ("愛媛県", "えひめけん"), ("高知県", "こうちけん"), ("福岡県", "ふくおかけん"),
        ("佐賀県", "さがけん"), ("長崎県", "ながさきけん"), ("熊本県", "くまもとけん"), ("大分県", "おおいたけん"), ("宮崎県", "みやざきけん"),
        ("鹿児島県", "かごしまけん"), ("沖縄県", "おきなわけん"),
    ];

    private static readonly (string Name, string Kana)[] DemoCity =
    [
        ("横手市", "よこてし"), ("横手", "よこて"), ("増田", "ますだ"), ("平鹿", "ひらか"), ("雄物川", "おものがわ"), ("大森", "おおもり"),
        ("十文字", "じゅうもんじ"), ("山内", "さんない"), ("大雄", "たいゆう"),
    ];

    /// <summary>How JMA names parts of a prefecture in 地震情報／細分区域 and 震央地名: longest first.</summary>
    private static readonly (string Part, string Kana, string English)[] Parts =
    [
        ("内陸南部", "ないりく なんぶ", "southern inland {0}"), ("内陸北部", "ないりく ほくぶ", "northern inland {0}"),
        ("沿岸南部", "えんがん なんぶ", "the southern coast of {0}"), ("沿岸北部", "えんがん ほくぶ", "the northern coast of {0}"),
        ("沿岸中部", "えんがん ちゅうぶ", "the central coast of {0}"),
        ("北東部", "ほくとうぶ", "northeastern {0}"), ("北西部", "ほくせいぶ", "northwestern {0}"), ("南東部", "なんとうぶ", "southeastern {0}"),
        ("南西部", "なんせいぶ", "southwestern {0}"), ("北部", "ほくぶ", "northern {0}"), ("南部", "なんぶ", "southern {0}"), ("中部", "ちゅうぶ", "central {0}"),
        ("東部", "とうぶ", "eastern {0}"), ("西部", "せいぶ", "western {0}"), ("内陸", "ないりく", "inland {0}"), ("沿岸", "えんがん", "the coast of {0}"),
        ("沖", "おき", "off the coast of {0}"),
    ];

    private readonly Dictionary<string, PlaceName> _names = new(StringComparer.Ordinal);

    public PlaceNames(IOptions<PlaceNamesOptions> options, IHostEnvironment environment)
    {
        foreach (var (name, kana) in Prefectures.Concat(DemoCity))
        {
            Add(name, kana, null);
        }

        foreach (var file in options.Value.Files)
        {
            Import(Path.IsPathRooted(file) ? file : Path.Combine(environment.ContentRootPath, file));
        }
    }

    public int Count => _names.Count;

    /// <summary>What is known of a name: an exact entry, a demo area (横手（デモ） → Yokote (demo)), or a JMA region
    /// composed of a prefecture and a part (岩手県内陸南部). Unknown parts are null.</summary>
    public PlaceName Describe(string name)
    {
        name = name.Trim();
        if (_names.TryGetValue(name, out var known))
        {
            return known;
        }

        if (name.EndsWith(DemoSuffix, StringComparison.Ordinal) && Describe(name[..^DemoSuffix.Length]) is { } demo && (demo.Kana ?? demo.English) is not null)
        {
            return new PlaceName(name, demo.Kana, demo.English is null ? null : demo.English + " (demo)");
        }

        foreach (var prefecture in Prefectures)
        {
            if (!name.StartsWith(prefecture.Name, StringComparison.Ordinal) || name.Length == prefecture.Name.Length)
            {
                continue;
            }

            var rest = name[prefecture.Name.Length..];
            var pref = _names[prefecture.Name];
            foreach (var (part, kana, english) in Parts)
            {
                if (rest == part)
                {
                    return new PlaceName(name, $"{pref.Kana} {kana}", pref.English is null ? null : string.Format(System.Globalization.CultureInfo.InvariantCulture, english, pref.English));
                }
            }
        }

        return new PlaceName(name, null, null);
    }

    /// <summary>The English name, or the Japanese name when none is known.</summary>
    public string English(string name) => Describe(name).English ?? name;

    /// <summary>やさしい日本語: the name with its reading, 横手市（よこてし）; the name alone when no reading is known.</summary>
    public string Easy(string name) => Describe(name).Kana is { } kana ? $"{name}（{kana}）" : name;

    private void Import(string path)
    {
        using var reader = new StreamReader(path);
        var header = reader.ReadLine()?.TrimStart('\uFEFF').Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray() ?? [];
        var nameAt = Array.FindIndex(header, h => h is "name" or "cityname" or "city_name" or "名称");
        var kanaAt = Array.FindIndex(header, h => h is "kana" or "cityname_kn" or "name_kana" or "よみ");
        var englishAt = Array.FindIndex(header, h => h is "en" or "english" or "romaji" or "name_en");
        if (nameAt < 0 || (kanaAt < 0 && englishAt < 0))
        {
            throw new InvalidOperationException($"Feeds:PlaceNames: {path} has no name column with a kana or English column.");
        }

        while (reader.ReadLine() is { } line)
        {
            var cells = line.Split(',');
            string? Cell(int at) => at >= 0 && at < cells.Length && cells[at].Trim() is { Length: > 0 } v ? v : null;
            if (Cell(nameAt) is { } name)
            {
                Add(name, Cell(kanaAt), Cell(englishAt));
            }
        }
    }

    private void Add(string name, string? kana, string? english) =>
        _names[name] = new PlaceName(name, kana, english ?? KanaRomaji.PlaceName(name, kana));
}
