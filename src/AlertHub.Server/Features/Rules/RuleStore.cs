using System.Text.Json;
using AlertHub.Core.Cluster;
using AlertHub.Core.Storage;
using AlertHub.Server.Infrastructure;

namespace AlertHub.Server.Features.Rules;

/// <summary>
/// The rules in force: those saved through the API, else those in configuration (<c>Feeds:Rules</c>). Cached; a save on
/// any node empties every node's cache (<see cref="ClusterTopics.Rules"/>), so the next event is judged by the new rules.
/// </summary>
internal sealed class RuleStore
{
    private readonly IRuleSetStore _store;
    private readonly IConfiguration _configuration;
    private readonly IClusterEvents _cluster;
    private readonly TimeProvider _time;
    private IReadOnlyList<RuleDefinition>? _cached;
    private long _version;

    public RuleStore(IRuleSetStore store, IConfiguration configuration, IClusterEvents cluster, TimeProvider time)
    {
        _store = store;
        _configuration = configuration;
        _cluster = cluster;
        _time = time;
        cluster.Subscribe(ClusterTopics.Rules, e =>
        {
            if (!e.FromThisNode || e.IsResync)
            {
                Invalidate();
            }
        });
    }

    public async Task<IReadOnlyList<RuleDefinition>> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } cached)
        {
            return cached;
        }

        var version = Interlocked.Read(ref _version);
        var json = await _store.GetJsonAsync(cancellationToken);
        var rules = json is not null
            ? JsonSerializer.Deserialize<List<RuleDefinition>>(json, Json.Options) ?? []
            : FromConfiguration();
        // Saved elsewhere while this read: what was read may be the old set, so it is used once but not kept.
        if (Interlocked.Read(ref _version) == version)
        {
            _cached = rules;
        }

        return rules;
    }

    public async Task SaveAsync(IReadOnlyList<RuleDefinition> rules, string actor, CancellationToken cancellationToken)
    {
        Validate(rules);
        await _store.SaveJsonAsync(JsonSerializer.Serialize(rules, Json.Options), _time.GetUtcNow(), actor, cancellationToken);
        Interlocked.Increment(ref _version);
        _cached = rules;
        await _cluster.PublishAsync(ClusterTopics.Rules, "", cancellationToken);
    }

    private void Invalidate()
    {
        Interlocked.Increment(ref _version);
        _cached = null;
    }

    public static void Validate(IReadOnlyList<RuleDefinition> rules)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            void Fail(string why) => throw new RequestValidationException(Problems.RulesInvalid, $"rules[{i}] ({r?.Name}): {why}",
                new Dictionary<string, object?> { ["index"] = i });
            if (r is null || string.IsNullOrWhiteSpace(r.Name) || !names.Add(r.Name))
            {
                Fail("a unique name is required");
                return;
            }

            if (r.Families is not { Length: > 0 })
            {
                Fail("families lists at least one family (JMA:VXSE53) or category (category:landslide)");
            }

            // Without templates the rule speaks with the texts the hub ships for the family; with them, Japanese comes first.
            if (r.Templates is { Count: > 0 } && (!r.Templates.TryGetValue("ja", out var ja) || string.IsNullOrWhiteSpace(ja?.Headline)))
            {
                Fail("templates.ja.headline is required when templates are given (omit templates to use the shipped ones)");
            }

            if (r.ExpiresAfter is { } lifetime && (lifetime <= TimeSpan.Zero || lifetime > TimeSpan.FromDays(14)))
            {
                Fail("expiresAfter is between 00:00:01 and 14.00:00:00");
            }

            if (r.Templates?.Values.Any(t => t is null) == true || r.AllClearTemplates?.Values.Any(t => t is null) == true)
            {
                Fail("every language in templates and allClearTemplates has a text object, not null");
            }

            if (r.Mode is not ("auto" or "draft"))
            {
                Fail("mode is auto or draft");
            }

            if (r.AreaMode is not ("codes" or "areas" or "kinds")
                || (r.AreaMode == "areas" && r.AreaIds is not { Length: > 0 })
                || (r.AreaMode == "kinds" && r.AreaKinds is not { Length: > 0 }))
            {
                Fail("areaMode is codes, areas (with areaIds) or kinds (with areaKinds)");
            }

            if (r.MinIntensity is not null && RuleEngine.IntensityRank(r.MinIntensity) < 0)
            {
                Fail("minIntensity is one of 1 2 3 4 5- 5+ 6- 6+ 7");
            }
        }
    }

    private List<RuleDefinition> FromConfiguration()
    {
        var section = _configuration.GetSection("Feeds:Rules");
        if (!section.Exists())
        {
            return [];
        }

        // Configuration binds records poorly; round-trip the section through JSON instead.
        var json = JsonSerializer.Serialize(ToPlain(section), Json.Options);
        var rules = JsonSerializer.Deserialize<List<RuleDefinition>>(json, Json.Options) ?? [];
        Validate(rules);
        return rules;
    }

    private static object? ToPlain(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            // Configuration holds strings only; booleans must become JSON booleans again (minIntensity "4" stays a string).
            return section.Value switch
            {
                "true" or "True" => true,
                "false" or "False" => false,
                var v => v,
            };
        }

        return children.All(c => int.TryParse(c.Key, out _))
            ? children.OrderBy(c => int.Parse(c.Key, System.Globalization.CultureInfo.InvariantCulture)).Select(ToPlain).ToList()
            : children.ToDictionary(c => c.Key, ToPlain);
    }
}
