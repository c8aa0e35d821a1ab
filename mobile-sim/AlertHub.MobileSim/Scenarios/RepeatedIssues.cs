using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>One issue of a --repeat run.</summary>
/// <param name="Node">The node it was issued on (1-based; 1 without --cluster).</param>
/// <param name="AcceptedMs">The issuing request's round trip.</param>
/// <param name="FirstReceiptMs">From sending the issuing request to the first receipt anywhere.</param>
/// <param name="LastReceiptMs">From sending the issuing request to the last expected receipt.</param>
/// <param name="DuplicatesByChannel">Second copies per channel, and how many of them carried another delivery id than the first copy.</param>
internal sealed record RepeatRound(int Index, int Node, string AlertId, double AcceptedMs, double? FirstReceiptMs, double? LastReceiptMs, int Received, int Expected,
    int Duplicates, IReadOnlyDictionary<string, SecondCopies>? DuplicatesByChannel = null);

/// <summary>Second copies of one alert on one channel; <paramref name="OtherId"/> of them with another delivery id than the first copy.</summary>
internal sealed record SecondCopies(int Copies, int OtherId);

/// <summary>--repeat N: the same alert issued N times in a row on every node in turn, each after the last one's fan-out ended.</summary>
internal sealed record RepeatReport(IReadOnlyList<RepeatRound> Rounds)
{
    /// <summary>Issue → first receipt over the issues (nearest rank): the "p95 from any node" figure.</summary>
    public (double? P50, double? P95, double? Max) FirstReceipt
    {
        get
        {
            var sorted = Rounds.Where(r => r.FirstReceiptMs is not null).Select(r => r.FirstReceiptMs!.Value).Order().ToList();
            return sorted.Count == 0 ? (null, null, null) : (Rank(sorted, 0.50), Rank(sorted, 0.95), sorted[^1]);

            static double Rank(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        }
    }

    public string Describe()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var (p50, p95, max) = FirstReceipt;
        sb.AppendLine(ci, $"  repeat: {Rounds.Count} issues on {Rounds.Select(r => r.Node).Distinct().Count()} node(s) in turn; issue → first receipt p50 {p50:0} ms, p95 {p95:0} ms, worst {max:0} ms");
        foreach (var r in Rounds)
        {
            sb.AppendLine(ci, $"    #{r.Index} node-{r.Node}: accepted {r.AcceptedMs:0} ms, first receipt {r.FirstReceiptMs:0} ms, last {r.LastReceiptMs:0} ms, received {r.Received}/{r.Expected}, duplicates {r.Duplicates}");
            foreach (var (channel, copies) in r.DuplicatesByChannel ?? new Dictionary<string, SecondCopies>())
            {
                sb.AppendLine(ci, $"      {channel}: {copies.Copies} second copies, {copies.OtherId} of them with another delivery id");
            }
        }

        return sb.ToString().TrimEnd();
    }
}

/// <summary>Runs the issues before the last one of a --repeat run (the last is the run's main, fully reported alert).</summary>
internal static class RepeatedIssues
{
    /// <summary>The API client of the node issue <paramref name="index"/> (0-based) goes to.</summary>
    public static (HubApiClient Api, int Node) NodeFor(int index, HubApiClient first, IReadOnlyList<HubApiClient> nodes) =>
        nodes.Count == 0 ? (first, 1) : (nodes[index % nodes.Count], (index % nodes.Count) + 1);

    public static async Task<List<RepeatRound>> RunEarlierAsync(SimulationOptions options, HubApiClient first, IReadOnlyList<HubApiClient> nodes, ReceiptLog receipts,
        JsonObject alertBody, int expected, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var rounds = new List<RepeatRound>();
        for (var i = 0; i < options.Repeat - 1; i++)
        {
            var (api, node) = NodeFor(i, first, nodes);
            var before = receipts.DistinctCount;
            var at = time.GetTimestamp();
            var issued = await api.IssueAlertAsync((JsonObject)alertBody.DeepClone(), cancellationToken);
            var acceptedMs = time.GetElapsedTime(at).TotalMilliseconds;
            var waiter = new QuiescenceWaiter(time, options.QuietPeriod, options.Timeout);
            var (_, timedOut) = await waiter.WaitAsync(() => receipts.DistinctCount - before, expected, cancellationToken, activity: () => receipts.Count);
            rounds.Add(Round(i + 1, node, issued.Id, acceptedMs, at, expected, receipts, time));
            SimLog.WaitEnded(logger, time.GetElapsedTime(at).TotalMilliseconds, rounds[^1].Received, timedOut);
        }

        return rounds;
    }

    public static RepeatRound Round(int index, int node, string alertId, double acceptedMs, long issuedAt, int expected, ReceiptLog receipts, TimeProvider time)
    {
        var mine = receipts.Snapshot().Where(r => r.AlertId == alertId).ToList();
        var copies = mine.GroupBy(r => (r.ExternalId, r.Channel)).Where(g => g.Count() > 1).ToList();
        var distinct = mine.Select(r => (r.ExternalId, r.Channel)).Distinct().Count();
        var byChannel = copies.GroupBy(g => g.Key.Channel, StringComparer.Ordinal).ToDictionary(c => c.Key,
            c => new SecondCopies(c.Sum(g => g.Count() - 1), c.Sum(g => g.Skip(1).Count(r => r.DeliveryId != g.First().DeliveryId))), StringComparer.Ordinal);
        return new RepeatRound(index, node, alertId, acceptedMs,
            mine.Count == 0 ? null : time.GetElapsedTime(issuedAt, mine.Min(r => r.Timestamp)).TotalMilliseconds,
            mine.Count == 0 ? null : time.GetElapsedTime(issuedAt, mine.Max(r => r.Timestamp)).TotalMilliseconds,
            distinct, expected, mine.Count - distinct, byChannel.Count == 0 ? null : byChannel);
    }
}
