using System.Security.Cryptography;
using System.Text;

namespace AlertHub.Server.Features.Alerts;

/// <summary>One account a broadcast channel posts to. <see cref="Id"/> stands in for a resident id in the outbox.</summary>
internal sealed record BroadcastTarget(Guid Id, string Address)
{
    /// <summary>A stable id per channel and account, so restarts and retries find the same outbox row.</summary>
    public static Guid IdFor(string channel, string account) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"broadcast:{channel}:{account}")).AsSpan(0, 16));
}

/// <summary>
/// A channel that publishes the public version of an alert to accounts (social media, loudspeaker gateways)
/// instead of to residents: one outbox row per account and alert version, no resident data.
/// </summary>
internal interface IBroadcastChannel
{
    string Name { get; }

    IReadOnlyList<BroadcastTarget> Targets { get; }

    /// <summary>Whether this alert version is published at all (e.g. drills are not posted publicly by default).</summary>
    bool Publishes(AlertDocument alert);
}
