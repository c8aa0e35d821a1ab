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
            latencies.Length == 0 ? null : latencies[^1],
            Percentile(latencies, 99),
            latencies.Length == 0 ? null : latencies[0]);
    }

    /// <summary>
    /// Of the expected SignalR residents that got no push of <paramref name="alertId"/>, those that found it in their
    /// inbox, read after their connection came back (<see cref="ReceiptLog.AddFromInbox"/>), and when. Null when no client
    /// read its inbox during the run (none reconnected).
    /// </summary>
    /// <param name="pushes">Receipts of the alert.</param>
    /// <param name="inboxReads">Every inbox read of the run (any alert).</param>
    public static InboxCatchUpReport? InboxCatchUp(
        IReadOnlyList<ResidentExpectation> residents,
        IReadOnlyList<Receipt> pushes,
        IReadOnlyList<Receipt> inboxReads,
        int readsFailed,
        string alertId,
        long issueTimestamp,
        TimeProvider time)
    {
        if (inboxReads.Count == 0 && readsFailed == 0)
        {
            return null;
        }

        var pushed = pushes.Where(r => r.Channel == SimChannels.SignalR).Select(r => r.ExternalId).ToHashSet(StringComparer.Ordinal);
        var firstRead = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var read in inboxReads.Where(r => r.AlertId == alertId))
        {
            firstRead[read.ExternalId] = firstRead.TryGetValue(read.ExternalId, out var seen) ? Math.Min(seen, read.Timestamp) : read.Timestamp;
        }

        var withoutPush = residents
            .Where(r => r.Channel == SimChannels.SignalR && r.Expected && !r.Borderline && !pushed.Contains(r.ExternalId))
            .Select(r => r.ExternalId)
            .ToList();
        var latencies = withoutPush
            .Where(firstRead.ContainsKey)
            .Select(id => time.GetElapsedTime(issueTimestamp, firstRead[id]).TotalMilliseconds)
            .OrderBy(ms => ms)
            .ToArray();
        return new InboxCatchUpReport(withoutPush.Count, latencies.Length, Percentile(latencies, 50), latencies.Length == 0 ? null : latencies[^1],
            firstRead.Count, readsFailed);
    }

    /// <summary>Most buckets a timeline keeps (an hour of 1 s buckets); later receipts land in the last one.</summary>
    public const int MaxBuckets = 3600;

    /// <summary>
    /// The detail behind the charts and the map: per-channel latency CDFs, deliveries per second from the issue,
    /// and every registered resident's outcome at their home place.
    /// </summary>
    /// <param name="population">The generated population (for channels and home places).</param>
    /// <param name="residents">The sim's expectations for the registered residents.</param>
    /// <param name="receipts">Receipts of the issued alert only.</param>
    public static ReportDetail ComputeDetail(
        IReadOnlyList<SimResident> population,
        IReadOnlyList<ResidentExpectation> residents,
        IReadOnlyList<Receipt> receipts,
        long issueTimestamp,
        TimeProvider time)
    {
        var firstMs = new Dictionary<string, double>(StringComparer.Ordinal);
        var deliveries = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in receipts)
        {
            var ms = time.GetElapsedTime(issueTimestamp, r.Timestamp).TotalMilliseconds;
            firstMs[r.ExternalId] = firstMs.TryGetValue(r.ExternalId, out var seen) ? Math.Min(seen, ms) : ms;
            deliveries[r.ExternalId] = deliveries.GetValueOrDefault(r.ExternalId) + 1;
        }

        var homes = new Dictionary<string, SimPlace>(StringComparer.Ordinal);
        foreach (var p in population)
        {
            if (p.Places.Count > 0)
            {
                // The first place is home (PopulationGenerator always adds it first).
                homes[p.ExternalId] = p.Places[0];
            }
        }

        var outcomes = new List<ResidentOutcome>(residents.Count);
        foreach (var r in residents)
        {
            var received = firstMs.TryGetValue(r.ExternalId, out var latency);
            var outcome = r.Borderline ? Outcomes.Edge
                : r.Expected ? (received ? Outcomes.Received : Outcomes.Missed)
                : received ? Outcomes.Outside : Outcomes.NotTargeted;
            var home = homes.GetValueOrDefault(r.ExternalId);
            outcomes.Add(new ResidentOutcome(
                r.ExternalId, r.Channel, home?.Lat, home?.Lon, r.Expected,
                deliveries.GetValueOrDefault(r.ExternalId), outcome, received ? Math.Round(latency, 1) : null));
        }

        return new ReportDetail(Cdfs(residents, receipts, issueTimestamp, time), Timeline(receipts, issueTimestamp, time), outcomes);
    }

    private static List<LatencyCdf> Cdfs(IReadOnlyList<ResidentExpectation> residents, IReadOnlyList<Receipt> receipts, long issueTimestamp, TimeProvider time)
    {
        var channels = SimChannels.All.Concat(residents.Select(r => r.Channel)).Concat(receipts.Select(r => r.Channel)).Distinct().ToList();
        var cdfs = new List<LatencyCdf>();
        foreach (var channel in channels.Append(Overall))
        {
            // First receipt per resident, like the percentiles in the table.
            var latencies = receipts
                .Where(r => channel == Overall || r.Channel == channel)
                .GroupBy(r => r.ExternalId, StringComparer.Ordinal)
                .Select(g => time.GetElapsedTime(issueTimestamp, g.Min(r => r.Timestamp)).TotalMilliseconds)
                .OrderBy(ms => ms)
                .ToArray();
            cdfs.Add(new LatencyCdf(channel, latencies.Length, CdfPoints(latencies)));
        }

        return cdfs;
    }

    /// <summary>
    /// At most ~110 points per curve whatever the population: every whole percent plus a finer tail (99.5, 99.9),
    /// and the minimum, so the chart and the JSON stay small for a million residents.
    /// </summary>
    public static IReadOnlyList<CdfPoint> CdfPoints(IReadOnlyList<double> sortedAscending)
    {
        if (sortedAscending.Count == 0)
        {
            return [];
        }

        var n = sortedAscending.Count;
        var ranks = new SortedSet<int> { 1 };
        foreach (var pct in Enumerable.Range(1, 100).Select(i => (double)i).Concat([99.5, 99.9]))
        {
            ranks.Add(Math.Clamp((int)Math.Ceiling(pct / 100.0 * n - 1e-9), 1, n));
        }

        return ranks.Select(rank => new CdfPoint(Math.Round(sortedAscending[rank - 1], 1), (double)rank / n)).ToList();
    }

    private static DeliveryTimeline Timeline(IReadOnlyList<Receipt> receipts, long issueTimestamp, TimeProvider time)
    {
        var channels = receipts.Select(r => r.Channel).Distinct().Order(StringComparer.Ordinal).ToList();
        var seconds = receipts.Select(r => Math.Max(0, time.GetElapsedTime(issueTimestamp, r.Timestamp).TotalSeconds)).ToList();
        var coarse = Bucket(receipts, channels, seconds, 1);
        return seconds.Count > 0 && seconds.Max() < 10 ? coarse with { Fine = Bucket(receipts, channels, seconds, 0.1) } : coarse;
    }

    private static DeliveryTimeline Bucket(IReadOnlyList<Receipt> receipts, List<string> channels, List<double> seconds, double bucketSeconds)
    {
        // Integer bucket numbers from rounded milliseconds, so 0.3 s lands in bucket 3 of 0.1 s and not 2.
        int BucketOf(double s) => (int)(Math.Round(s * 1000) / Math.Round(bucketSeconds * 1000));
        var buckets = seconds.Count == 0 ? 0 : Math.Min(MaxBuckets, BucketOf(seconds.Max()) + 1);
        var overflowed = seconds.Count(s => BucketOf(s) >= MaxBuckets);
        var counts = channels.Append(Overall).ToDictionary(c => c, _ => new int[buckets], StringComparer.Ordinal);
        for (var i = 0; i < receipts.Count; i++)
        {
            var bucket = Math.Min(buckets - 1, BucketOf(seconds[i]));
            counts[receipts[i].Channel][bucket]++;
            counts[Overall][bucket]++;
        }

        return new DeliveryTimeline(bucketSeconds, channels.Append(Overall).Select(c => new DeliverySeries(c, counts[c])).ToList(), overflowed);
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
