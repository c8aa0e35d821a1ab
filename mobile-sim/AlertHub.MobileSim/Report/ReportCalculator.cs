using AlertHub.MobileSim.Population;

namespace AlertHub.MobileSim.Report;

/// <summary>What the sim itself expects for one registered resident.</summary>
/// <param name="Expected">Inside the area and matching the audience, by the sim's own check.</param>
/// <param name="Borderline">Too close to a circle's edge to call either way.</param>
internal sealed record ResidentExpectation(string ExternalId, string Channel, bool Expected, bool Borderline = false);

/// <summary>Pure report maths: expectations × receipts → per-channel and overall numbers.</summary>
internal static class ReportCalculator
{
    public const string Overall = "overall";

    /// <param name="receipts">Receipts of the issued alert only.</param>
    /// <param name="hubRecipients">The hub's <c>recipients</c>, if any.</param>
    /// <param name="hubByChannel">The hub's <c>byChannel</c>.</param>
    /// <param name="issueTimestamp">A <paramref name="time"/> timestamp taken right before the issuing request.</param>
    public static (IReadOnlyList<ChannelReport> Channels, ChannelReport Overall) Compute(
        IReadOnlyList<ResidentExpectation> residents,
        IReadOnlyList<Receipt> receipts,
        int? hubRecipients,
        IReadOnlyDictionary<string, int>? hubByChannel,
        long issueTimestamp,
        TimeProvider time)
    {
        var channels = SimChannels.All
            .Concat(residents.Select(r => r.Channel))
            .Concat(receipts.Select(r => r.Channel))
            .Distinct()
            .ToList();

        var perChannel = channels
            .Select(c => ComputeOne(
                c,
                residents.Where(r => r.Channel == c).ToList(),
                receipts.Where(r => r.Channel == c).ToList(),
                hubByChannel is null ? null : hubByChannel.TryGetValue(c, out var n) ? n : 0,
                issueTimestamp,
                time))
            .ToList();
        var overall = ComputeOne(Overall, residents, receipts, hubRecipients, issueTimestamp, time);
        return (perChannel, overall);
    }

    private static ChannelReport ComputeOne(
        string channel,
        IReadOnlyList<ResidentExpectation> residents,
        IReadOnlyList<Receipt> receipts,
        int? hubTargeted,
        long issueTimestamp,
        TimeProvider time)
    {
        var byId = new Dictionary<string, ResidentExpectation>(StringComparer.Ordinal);
        foreach (var r in residents)
        {
            byId[r.ExternalId] = r;
        }

        var firstByKey = new Dictionary<(string, string, int), Receipt>();
        var duplicates = 0;
        foreach (var receipt in receipts.OrderBy(r => r.Timestamp))
        {
            if (!firstByKey.TryAdd((receipt.ExternalId, receipt.AlertId, receipt.Version), receipt))
            {
                duplicates++;
            }
        }

        var receivedIds = firstByKey.Keys.Select(k => k.Item1).ToHashSet(StringComparer.Ordinal);
        var outside = 0;
        var borderline = 0;
        foreach (var id in receivedIds)
        {
            // A receipt for a resident the sim never registered is also "outside": it must not happen.
            if (!byId.TryGetValue(id, out var r) || (!r.Expected && !r.Borderline))
            {
                outside++;
            }
        }

        var missed = 0;
        foreach (var r in residents)
        {
            if (r.Borderline)
            {
                borderline++;
            }
            else if (r.Expected && !receivedIds.Contains(r.ExternalId))
            {
                missed++;
            }
        }

        var latencies = firstByKey.Values
            .GroupBy(r => r.ExternalId, StringComparer.Ordinal)
            .Select(g => time.GetElapsedTime(issueTimestamp, g.Min(r => r.Timestamp)).TotalMilliseconds)
            .OrderBy(ms => ms)
            .ToArray();

        return new ChannelReport(
            channel,
            hubTargeted,
            residents.Count(r => r.Expected && !r.Borderline),
            receivedIds.Count,
            receipts.Count,
            duplicates,
            outside,
            missed,
            borderline,
            Percentile(latencies, 50),
            Percentile(latencies, 95),
            latencies.Length == 0 ? null : latencies[^1]);
    }

    /// <summary>Nearest-rank percentile of an ascending array; null when empty.</summary>
    public static double? Percentile(IReadOnlyList<double> sortedAscending, double percent)
    {
        if (sortedAscending.Count == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(percent / 100.0 * sortedAscending.Count);
        return sortedAscending[Math.Clamp(rank - 1, 0, sortedAscending.Count - 1)];
    }
}
