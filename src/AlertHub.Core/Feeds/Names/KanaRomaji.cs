using System.Text;

namespace AlertHub.Core.Feeds.Names;

/// <summary>
/// Hiragana/katakana → Hepburn as Japanese road signs and municipalities write place names in English: no macrons
/// (おお, おう → o; うう → u: おおだて → Odate, ゆりほんじょう → Yurihonjo), ん → m before b/p (せんぼく → Semboku, but ぐんま → Gunma),
/// っ doubles the next consonant (はっぽう → Happo, ch → tch). Anything that is not kana is kept as is.
/// </summary>
public static class KanaRomaji
{
    private static readonly Dictionary<string, string> Digraphs = new(StringComparer.Ordinal)
    {
        ["きゃ"] = "kya", ["きゅ"] = "kyu", ["きょ"] = "kyo", ["ぎゃ"] = "gya", ["ぎゅ"] = "gyu", ["ぎょ"] = "gyo",
        ["しゃ"] = "sha", ["しゅ"] = "shu", ["しょ"] = "sho", ["じゃ"] = "ja", ["じゅ"] = "ju", ["じょ"] = "jo",
        ["ちゃ"] = "cha", ["ちゅ"] = "chu", ["ちょ"] = "cho", ["ぢゃ"] = "ja", ["ぢゅ"] = "ju", ["ぢょ"] = "jo",
        ["にゃ"] = "nya", ["にゅ"] = "nyu", ["にょ"] = "nyo", ["ひゃ"] = "hya", ["ひゅ"] = "hyu", ["ひょ"] = "hyo",
        ["びゃ"] = "bya", ["びゅ"] = "byu", ["びょ"] = "byo", ["ぴゃ"] = "pya", ["ぴゅ"] = "pyu", ["ぴょ"] = "pyo",
        ["みゃ"] = "mya", ["みゅ"] = "myu", ["みょ"] = "myo", ["りゃ"] = "rya", ["りゅ"] = "ryu", ["りょ"] = "ryo",
        ["しぇ"] = "she", ["じぇ"] = "je", ["ちぇ"] = "che", ["てぃ"] = "ti", ["でぃ"] = "di", ["ふぁ"] = "fa", ["ふぃ"] = "fi",
        ["ふぇ"] = "fe", ["ふぉ"] = "fo", ["うぃ"] = "wi", ["うぇ"] = "we", ["うぉ"] = "wo", ["ゔぁ"] = "va",
    };

    private static readonly Dictionary<char, string> Monographs = Build(
        "あa いi うu えe おo かka きki くku けke こko がga ぎgi ぐgu げge ごgo さsa しshi すsu せse そso ざza じji ずzu ぜze ぞzo " +
        "たta ちchi つtsu てte とto だda ぢji づzu でde どdo なna にni ぬnu ねne のno はha ひhi ふfu へhe ほho ばba びbi ぶbu べbe ぼbo " +
        "ぱpa ぴpi ぷpu ぺpe ぽpo まma みmi むmu めme もmo やya ゆyu よyo らra りri るru れre ろro わwa ゐi ゑe をo ゔvu " +
        "ぁa ぃi ぅu ぇe ぉo ゃya ゅyu ょyo ゎwa");

    /// <summary>Romanises kana (either script); non-kana characters pass through. Lower case.</summary>
    public static string ToRomaji(string kana)
    {
        var text = ToHiragana(kana);
        var output = new StringBuilder(text.Length * 2);
        var geminate = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == 'っ')
            {
                geminate = true;
                continue;
            }

            if (c == 'ー')
            {
                continue; // a long vowel mark: no macrons
            }

            string? syllable = null;
            if (i + 1 < text.Length && Digraphs.TryGetValue(text.Substring(i, 2), out var pair))
            {
                syllable = pair;
                i++;
            }
            else if (c == 'ん')
            {
                var next = i + 1 < text.Length && Monographs.TryGetValue(text[i + 1], out var n) ? n : "";
                syllable = next.Length > 0 && next[0] is 'b' or 'p' ? "m" : "n";
            }
            else if (Monographs.TryGetValue(c, out var single))
            {
                syllable = single;
            }

            if (syllable is null)
            {
                output.Append(c);
                geminate = false;
                continue;
            }

            if (geminate)
            {
                output.Append(syllable.StartsWith("ch", StringComparison.Ordinal) ? 't' : syllable[0]);
                geminate = false;
            }

            output.Append(syllable);
        }

        return CollapseLongVowels(output.ToString());
    }

    /// <summary>
    /// A municipality, ward or prefecture name in English from its written name and kana: 横手市/よこてし → Yokote City,
    /// 羽後町/うごまち → Ugo Town, 美郷町/みさとちょう → Misato Town, 東成瀬村/ひがしなるせむら → Higashinaruse Village,
    /// 秋田県/あきたけん → Akita Prefecture. Null when the kana is missing or not kana.
    /// </summary>
    public static string? PlaceName(string name, string? kana)
    {
        if (string.IsNullOrWhiteSpace(kana))
        {
            return null;
        }

        var hiragana = ToHiragana(kana.Trim().Replace(" ", "", StringComparison.Ordinal).Replace("　", "", StringComparison.Ordinal));
        if (!hiragana.All(c => Monographs.ContainsKey(c) || c is 'っ' or 'ん' or 'ー'))
        {
            return null;
        }

        (string Kana, string English)[] suffixes = name switch
        {
            _ when name.EndsWith('市') => [("し", "City")],
            _ when name.EndsWith('町') => [("まち", "Town"), ("ちょう", "Town")],
            _ when name.EndsWith('村') => [("むら", "Village"), ("そん", "Village")],
            _ when name.EndsWith('区') => [("く", "Ward")],
            _ when name.EndsWith('県') => [("けん", "Prefecture")],
            _ when name.EndsWith('府') => [("ふ", "Prefecture")],
            _ when name.EndsWith('都') => [("と", "")],
            _ => [],
        };
        foreach (var (suffix, english) in suffixes)
        {
            if (hiragana.EndsWith(suffix, StringComparison.Ordinal) && hiragana.Length > suffix.Length)
            {
                var stem = Capitalise(ToRomaji(hiragana[..^suffix.Length]));
                return english.Length == 0 ? stem : stem + " " + english;
            }
        }

        return Capitalise(ToRomaji(hiragana));
    }

    private static string ToHiragana(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = c is >= 'ァ' and <= 'ヶ' ? (char)(c - 0x60) : c;
            }
        });

    private static string CollapseLongVowels(string romaji) =>
        romaji.Replace("ou", "o", StringComparison.Ordinal).Replace("oo", "o", StringComparison.Ordinal).Replace("uu", "u", StringComparison.Ordinal);

    private static string Capitalise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static Dictionary<char, string> Build(string table) =>
        table.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToDictionary(entry => entry[0], entry => entry[1..]);
}
