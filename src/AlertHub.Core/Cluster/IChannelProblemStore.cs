namespace AlertHub.Core.Cluster;

/// <summary>
/// What each node's channels say is wrong with them (a revoked LINE token, FCM refusing the service account), kept where
/// every node can read it: the node that hits a provider's refusal may not be the one a member of staff is looking at.
/// Registered only on a shared store; one node knows its own channels.
/// </summary>
internal interface IChannelProblemStore
{
    /// <summary>Records <paramref name="problem"/> for <paramref name="channel"/> on <paramref name="node"/>, or clears it (null).</summary>
    Task SetAsync(ClusterNode node, string channel, string? problem, CancellationToken cancellationToken);

    /// <summary>The problems live nodes report now (a dead or departed node's are not news any more).</summary>
    Task<IReadOnlyList<ChannelProblem>> ListLiveAsync(CancellationToken cancellationToken);
}

/// <param name="NodeId">The reporting node's <see cref="ClusterNode.Id"/>.</param>
/// <param name="Since">When the node first reported this problem.</param>
internal sealed record ChannelProblem(string NodeId, string NodeName, string Channel, string Problem, DateTimeOffset Since);
