namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// How many claimed rows of one channel this node holds in memory: counted when a claim reaches the sender, and counted off
/// when each row's outcome has been through the recorder (written or not) or its batch was dropped as another node's.
/// At zero, every claim the store still shows for this node on the channel is one the node does not know it made.
/// </summary>
internal sealed class ClaimsInHand
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Took(int rows) => Interlocked.Add(ref _count, rows);

    public void Done(int rows) => Interlocked.Add(ref _count, -rows);
}
