namespace AlertHub.Core.Delivery;

/// <summary>The channels enabled by configuration, keyed by name.</summary>
internal sealed class ChannelRegistry(IEnumerable<IDeliveryChannel> channels)
{
    private readonly Dictionary<string, IDeliveryChannel> _byName = channels.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public IEnumerable<IDeliveryChannel> All => _byName.Values;

    public bool IsKnown(string name) => _byName.ContainsKey(name);

    public IDeliveryChannel Get(string name) => _byName[name];
}
