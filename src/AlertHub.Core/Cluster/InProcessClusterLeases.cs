namespace AlertHub.Core.Cluster;

/// <summary>
/// The leases of a hub that is its own only node (SQLite): kept in this process, with the same rules as the shared ones, so a
/// job written for a cluster runs unchanged on one node (where it always gets its lease).
/// </summary>
internal sealed class InProcessClusterLeases : IClusterLeases
{
    private readonly ClusterNode _node;
    private readonly TimeProvider _time;
    private readonly LeaseBook _book;

    public InProcessClusterLeases(ClusterNode node, TimeProvider time)
        : this(node, time, new LeaseBook())
    {
    }

    /// <summary>Several "nodes" over one book: how the conformance tests race holders without a database.</summary>
    internal InProcessClusterLeases(ClusterNode node, TimeProvider time, LeaseBook book)
    {
        _node = node;
        _time = time;
        _book = book;
    }

    public Task<bool> TryAcquireAsync(string name, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        lock (_book.Gate)
        {
            var now = _time.GetUtcNow();
            if (_book.Leases.TryGetValue(name, out var held) && held.Holder != _node.Id && held.ExpiresAt > now)
            {
                return Task.FromResult(false);
            }

            var acquiredAt = held is not null && held.Holder == _node.Id ? held.AcquiredAt : now;
            _book.Leases[name] = new ClusterLease(name, _node.Id, acquiredAt, now + timeToLive, true);
            return Task.FromResult(true);
        }
    }

    public Task ReleaseAsync(string name, CancellationToken cancellationToken)
    {
        lock (_book.Gate)
        {
            if (_book.Leases.TryGetValue(name, out var held) && held.Holder == _node.Id)
            {
                _book.Leases.Remove(name);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ClusterLease>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_book.Gate)
        {
            var now = _time.GetUtcNow();
            IReadOnlyList<ClusterLease> list = [.. _book.Leases.Values.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => l with { Active = l.ExpiresAt > now })];
            return Task.FromResult(list);
        }
    }

    internal sealed class LeaseBook
    {
        public Lock Gate { get; } = new();

        public Dictionary<string, ClusterLease> Leases { get; } = new(StringComparer.Ordinal);
    }
}
