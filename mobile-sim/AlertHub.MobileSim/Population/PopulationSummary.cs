using System.Globalization;
using System.Text;

namespace AlertHub.MobileSim.Population;

internal static class PopulationSummary
{
    public static string Describe(IReadOnlyList<SimResident> population)
    {
        var ci = CultureInfo.InvariantCulture;
        var n = Math.Max(1, population.Count);
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"residents {population.Count}, outside the city {population.Count(r => r.PlacedOutsideCity)}, places {population.Sum(r => r.Places.Count)}");
        foreach (var g in population.SelectMany(r => r.HouseholdTags).GroupBy(t => t).OrderByDescending(g => g.Count()))
        {
            sb.AppendLine(ci, $"  tag {g.Key,-20} {g.Count(),7} ({100.0 * g.Count() / n:0.0} %)");
        }

        foreach (var g in population.GroupBy(r => r.Language).OrderByDescending(g => g.Count()))
        {
            sb.AppendLine(ci, $"  language {g.Key,-15} {g.Count(),7} ({100.0 * g.Count() / n:0.0} %)");
        }

        foreach (var g in population.GroupBy(r => r.Channel).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.AppendLine(ci, $"  channel {g.Key,-16} {g.Count(),7} ({100.0 * g.Count() / n:0.0} %)");
        }

        return sb.ToString().TrimEnd();
    }
}
