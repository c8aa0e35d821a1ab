using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Feeds;

/// <summary>Configuration section <c>Feeds:CodeTable</c>: which municipalities a feed's area code covers.</summary>
public sealed class AreaCodeTableOptions
{
    /// <summary>
    /// CSV files, one mapping per line, header <c>scheme,code,municipality</c>: <c>jma-seismic,233,05203</c> (地震情報／細分区域
    /// 秋田県内陸南部 → 横手市), <c>jma-forecast,050022,05203</c> (仙北平鹿地域 → 横手市). Paths are relative to the content root.
    /// Default none.
    /// </summary>
    public List<string> Files { get; set; } = [];

    /// <summary>Inline mappings: key <c>scheme/code</c> (a slash: configuration keys cannot hold a colon), value the 5-digit
    /// JIS codes separated by spaces or commas, e.g. <c>"jma-seismic/233": "05203 05212"</c>. Default none.</summary>
    public Dictionary<string, string> Codes { get; set; } = [];
}

/// <summary>
/// Maps feed area codes that name no single municipality (3-digit 地震情報／細分区域, 6-digit 府県予報区・細分区域,
/// 津波予報区, river zones) to the 5-digit municipality codes the city's rules and areas use. The city
/// configures it; JMA publishes the underlying tables.
/// </summary>
internal sealed class AreaCodeTable
{
    private readonly Dictionary<(string Scheme, string Code), string[]> _map = [];

    public AreaCodeTable(IOptions<AreaCodeTableOptions> options, IHostEnvironment environment)
    {
        foreach (var file in options.Value.Files)
        {
            var path = Path.IsPathRooted(file) ? file : Path.Combine(environment.ContentRootPath, file);
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var parts = line.Split(',', StringSplitOptions.TrimEntries);
                if (parts.Length >= 3 && parts[0].Length > 0 && parts[1].Length > 0 && parts[2].Length == 5)
                {
                    Add(parts[0], parts[1], parts[2]);
                }
            }
        }

        foreach (var (key, value) in options.Value.Codes)
        {
            var split = key.Split('/', 2);
            if (split.Length == 2)
            {
                foreach (var municipality in value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries))
                {
                    Add(split[0], split[1], municipality);
                }
            }
        }
    }

    public int Count => _map.Count;

    /// <summary>The municipalities an area covers: its own, else the configured ones, else none.</summary>
    public IReadOnlyList<string> MunicipalitiesOf(string scheme, string code, string? own) =>
        own is not null ? [own] : _map.TryGetValue((scheme, code), out var list) ? list : [];

    private void Add(string scheme, string code, string municipality)
    {
        var key = (scheme, code);
        _map[key] = _map.TryGetValue(key, out var list) ? [.. list.Append(municipality).Distinct()] : [municipality];
    }
}
