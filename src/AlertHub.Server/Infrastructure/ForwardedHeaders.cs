using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace AlertHub.Server.Infrastructure;

/// <summary>
/// Configuration section <c>Http:ForwardedHeaders</c>: the reverse proxies (TLS terminators such as nginx, Caddy or
/// HAProxy) whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the hub believes. Off until a proxy or network is
/// listed: then the client address (per-client limits, audit) and the scheme (Secure cookies) come from those
/// headers, but only on connections from a listed address; anyone else's headers are ignored.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>Addresses of trusted proxies, e.g. <c>["172.30.0.10"]</c>. Default none.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR form, e.g. <c>["10.0.0.0/8"]</c>. Default none.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxy hops of <c>X-Forwarded-For</c> to read, right to left, each of which must be trusted. Default 1.</summary>
    public int ForwardLimit { get; set; } = 1;

    public bool Enabled => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    /// <summary>The middleware's options; throws at start on an address or network that does not parse.</summary>
    public ForwardedHeadersOptions ToOptions()
    {
        var options = new ForwardedHeadersOptions
        {
            // Host is left alone: links the hub sends use Hub:PublicBaseUrl, not a header anyone can set.
            ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto,
            ForwardLimit = Math.Max(1, ForwardLimit),
        };

        // The framework trusts loopback by default; only what is configured here is trusted.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in KnownProxies)
        {
            options.KnownProxies.Add(IPAddress.TryParse(proxy.Trim(), out var address)
                ? address
                : throw new InvalidOperationException($"Http:ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address."));
        }

        foreach (var network in KnownNetworks)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network.Trim(), out var parsed)
                ? parsed
                : throw new InvalidOperationException($"Http:ForwardedHeaders:KnownNetworks: '{network}' is not a CIDR network such as 10.0.0.0/8."));
        }

        return options;
    }
}
