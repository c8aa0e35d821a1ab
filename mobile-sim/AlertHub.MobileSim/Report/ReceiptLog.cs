using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace AlertHub.MobileSim.Report;

/// <summary>One alert arriving at one simulated resident over one channel.</summary>
/// <param name="Timestamp">A <see cref="TimeProvider.GetTimestamp"/> value taken on arrival.</param>
internal sealed record Receipt(string ExternalId, string Channel, string AlertId, int Version, long Timestamp, string? DeliveryId = null);

/// <summary>
/// Thread-safe sink shared by the webhook receiver and the SignalR clients. Pushes are receipts; what a SignalR client
/// read in its inbox after reconnecting is kept apart (<see cref="AddFromInbox"/>): it is not a delivery.
/// </summary>
internal sealed class ReceiptLog
{
    private readonly ConcurrentQueue<Receipt> _receipts = new();
    private readonly ConcurrentDictionary<(string, string, string, int), byte> _distinct = new();
    private readonly ConcurrentDictionary<string, StrongBox<int>> _distinctPerChannel = new(StringComparer.Ordinal);
    private int _count;
    private int _signatureFailures;
    private int _unknownResident;
    private int _malformed;
    private readonly ConcurrentQueue<Receipt> _inbox = new();
    private int _inboxReadsFailed;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Receipts not counting a second copy of a message a resident already had on that channel.</summary>
    public int DistinctCount => _distinct.Count;
    /// <summary><see cref="DistinctCount"/> of one channel.</summary>
    public int DistinctCountOf(string channel) => _distinctPerChannel.TryGetValue(channel, out var n) ? Volatile.Read(ref n.Value) : 0;

    public int SignatureFailures => Volatile.Read(ref _signatureFailures);
    public int UnknownResident => Volatile.Read(ref _unknownResident);
    public int Malformed => Volatile.Read(ref _malformed);

    public void Add(Receipt receipt)
    {
        _receipts.Enqueue(receipt);
        if (_distinct.TryAdd((receipt.ExternalId, receipt.Channel, receipt.AlertId, receipt.Version), 0))
        {
            Interlocked.Increment(ref _distinctPerChannel.GetOrAdd(receipt.Channel, _ => new StrongBox<int>()).Value);
        }

        Interlocked.Increment(ref _count);
    }

    public void SignatureFailed() => Interlocked.Increment(ref _signatureFailures);
    public void UnknownResidentHit() => Interlocked.Increment(ref _unknownResident);
    public void MalformedPayload() => Interlocked.Increment(ref _malformed);

    public IReadOnlyList<Receipt> Snapshot() => _receipts.ToArray();

    /// <summary>An alert a resident found in their inbox, read after their connection came back (the resident page does so).</summary>
    public void AddFromInbox(Receipt read) => _inbox.Enqueue(read);

    public void InboxReadFailed() => Interlocked.Increment(ref _inboxReadsFailed);

    public int InboxReadsFailed => Volatile.Read(ref _inboxReadsFailed);

    public IReadOnlyList<Receipt> InboxSnapshot() => _inbox.ToArray();
}
