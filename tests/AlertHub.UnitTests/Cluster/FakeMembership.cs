using AlertHub.Core.Cluster;

namespace AlertHub.UnitTests.Cluster;

/// <summary>A cluster membership that only says whether the store is shared; the fence under test never calls the rest.</summary>
internal sealed class FakeMembership(bool shared) : IClusterMembership
{
    public bool IsShared => shared;

    public Task<bool> HeartbeatAsync(ClusterNode node, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task LeaveAsync(ClusterNode node, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<string>> DeclareSilentNodesDeadAsync(TimeSpan timeout, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<string>> RecentlyDeadAsync(TimeSpan within, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<int> EndSessionsOfAsync(IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<(DateTimeOffset Now, IReadOnlyList<ClusterMember> Members)> ListAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
}
