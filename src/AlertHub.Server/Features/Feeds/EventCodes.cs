using AlertHub.Core.Feeds;
using AlertHub.Core.Feeds.LAlert;

namespace AlertHub.Server.Features.Feeds;

/// <summary>
/// The codes an event is found by: every area code qualified by its table (<c>jma-seismic:320</c>, <c>jma-tsunami:320</c>),
/// and every municipality it speaks for as the bare 5-digit JIS code (<c>05203</c>). A query code is resolved the same
/// way, so the three forms of a city (05203, 052035 with check digit, JMA's 0520300) all find it and a short code that
/// belongs to two tables is never matched in both.
/// </summary>
internal static class EventCodes
{
    /// <summary>What an event is stored with.</summary>
    public static string[] Of(HazardEvent e, IEnumerable<string> moreMunicipalities) =>
        [.. e.Areas.Select(a => $"{a.Scheme}:{a.Code}")
            .Concat(e.Areas.Select(a => a.Municipality).OfType<string>())
            .Concat(moreMunicipalities)
            .Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The stored code a query means: <c>scheme:code</c> or a code with <paramref name="scheme"/> as given; bare, the
    /// municipality forms (5 digits; 6 with a valid check digit; 7 ending 00), then the one table of its length
    /// (2 jma-pref, 6 jma-forecast, 7 jma-city). 3 digits (地震情報／細分区域, 津波予報区) and 12 (river zones,
    /// 町丁目) need a scheme.
    /// </summary>
    public static (string? Code, string? Problem, string? Detail) Resolve(string code, string? scheme)
    {
        code = code.Trim();
        if (code.Length is 0 or > 80 || (scheme?.Length ?? 0) > 80 || code.Any(char.IsControl))
        {
            return (null, Infrastructure.Problems.EventCodeInvalid, "code is 1–80 characters: 05203, 052035, 0520300, or scheme:code such as jma-tsunami:320.");
        }

        if (scheme is { Length: > 0 })
        {
            return ($"{scheme}:{code}", null, null);
        }

        if (code.Contains(':', StringComparison.Ordinal))
        {
            return (code, null, null);
        }

        if (!code.All(char.IsAsciiDigit))
        {
            return ($"name:{code}", null, null);
        }

        if (code.Length == 5 || (code.Length == 7 && code.EndsWith("00", StringComparison.Ordinal)))
        {
            return (code[..5], null, null);
        }

        // A 6-digit 府県予報区・細分区域 code has 00 where a municipality has its city number (050022 仙北平鹿地域).
        if (code.Length == 6 && code[2..4] != "00" && JisCodes.Municipality(code) is { } municipality)
        {
            return (municipality, null, null);
        }

        return code.Length switch
        {
            2 => ($"jma-pref:{code}", null, null),
            6 => ($"jma-forecast:{code}", null, null),
            7 => ($"jma-city:{code}", null, null),
            3 => (null, Infrastructure.Problems.EventCodeAmbiguous,
                $"{code} may be a 地震情報／細分区域 or a 津波予報区 code: add scheme=jma-seismic or scheme=jma-tsunami (or write code=jma-tsunami:{code})."),
            12 => (null, Infrastructure.Problems.EventCodeAmbiguous,
                $"{code} may be a river forecast zone or an L-Alert 町丁目 code: add scheme=jma-river or town."),
            _ => (null, Infrastructure.Problems.EventCodeInvalid, $"{code} is no code form the hub knows; give scheme=… (e.g. cap:SAME)."),
        };
    }
}
