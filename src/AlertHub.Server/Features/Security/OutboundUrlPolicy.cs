using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Security;

/// <summary>Configuration section <c>Security:OutboundUrls</c>: which URLs the hub may call (webhooks, feeds, cameras, social accounts).</summary>
public sealed class OutboundUrlOptions
{
    /// <summary>Allow 127.0.0.0/8 and ::1. Default: true in Development, false otherwise.</summary>
    public bool? AllowLoopback { get; set; }

    /// <summary>
    /// Allow ranges reachable only inside an organisation: 10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16,
    /// 192.0.0.0/24, 198.18/15, fc00::/7, fe80::/10, 64:ff9b:1::/48. Default false. Multicast, unspecified,
    /// reserved, documentation, 6to4 and Teredo addresses stay refused either way.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Allow plain http. Default: true in Development, false otherwise.</summary>
    public bool? AllowHttp { get; set; }

    /// <summary>If not empty, only these host names (exact, or a leading "*." for subdomains) are allowed. Default empty (any public host).</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Never call these, even where the rest of the policy would allow it: a host name (exact or "*." for
    /// subdomains), an IP address or a CIDR prefix (<c>10.20.0.0/16</c>), each optionally with a port
    /// (<c>cams.example.jp:8080</c>, <c>192.168.5.9:22</c>, <c>[fd00::9]:80</c>). Addresses are checked at
    /// registration and again after DNS on every connection. Default empty.
    /// </summary>
    public List<string> DeniedHosts { get; set; } = [];
}

/// <summary>
/// Decides whether the hub may fetch or post to a URL. Checked when a URL is registered and again on every
/// connection (after DNS resolution) so a name that later resolves to a private address is still refused.
/// Address ranges follow <see cref="SpecialAddresses"/>.
/// </summary>
internal sealed class OutboundUrlPolicy(IOptions<OutboundUrlOptions> options, IHostEnvironment environment)
{
    private DeniedEntry[]? _denied;

    private bool AllowLoopback => options.Value.AllowLoopback ?? environment.IsDevelopment();
    private bool AllowHttp => options.Value.AllowHttp ?? environment.IsDevelopment();

    private DeniedEntry[] Denied => _denied ??= options.Value.DeniedHosts.Where(h => !string.IsNullOrWhiteSpace(h)).Select(DeniedEntry.Parse).ToArray();

    /// <summary>Checks the URL's form and host; literal IP hosts are checked here, names again at connect time.</summary>
    public bool IsAllowed(string url, out string reason)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            reason = "Only absolute http(s) URLs are accepted.";
            return false;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !AllowHttp)
        {
            reason = "Plain http is not allowed; use https.";
            return false;
        }

        return IsHostAllowed(uri, out reason);
    }

    /// <summary>The host rules alone (credentials, allowlist, deny list, literal addresses), for schemes the policy has no plain/TLS rule for, such as rtsp.</summary>
    public bool IsHostAllowed(Uri uri, out string reason)
    {
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            reason = "Credentials in the URL are not accepted.";
            return false;
        }

        var hosts = options.Value.AllowedHosts;
        if (hosts.Count > 0 && !hosts.Any(h => HostMatches(uri.IdnHost, h)))
        {
            reason = $"Host '{uri.Host}' is not on the allowlist.";
            return false;
        }

        if (IsNameDenied(uri.IdnHost, uri.Port, out reason))
        {
            return false;
        }

        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address))
        {
            return IsEndpointAllowed(address, uri.Port, out reason);
        }

        if (uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !AllowLoopback)
        {
            reason = "Loopback addresses are not allowed.";
            return false;
        }

        reason = "";
        return true;
    }

    /// <summary>Whether the hub may connect to <paramref name="address"/> (any port not denied by itself).</summary>
    public bool IsAddressAllowed(IPAddress address, out string reason) => IsEndpointAllowed(address, port: -1, out reason);

    /// <summary>Whether the hub may connect to <paramref name="address"/> on <paramref name="port"/> (-1: no port rule applies).</summary>
    public bool IsEndpointAllowed(IPAddress address, int port, out string reason)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var entry in Denied)
        {
            if (entry.Network is { } network && network.Contains(address) && entry.MatchesPort(port))
            {
                reason = $"Address {address} is on Security:OutboundUrls:DeniedHosts ({entry.Text}).";
                return false;
            }
        }

        var (scope, range) = SpecialAddresses.Classify(address);
        switch (scope)
        {
            case AddressScope.Loopback when !AllowLoopback:
                reason = "Loopback addresses are not allowed.";
                return false;
            case AddressScope.Private when !options.Value.AllowPrivateNetworks:
                reason = $"Address {address} is in a private or reserved range ({range}).";
                return false;
            case AddressScope.Forbidden:
                reason = $"Address {address} is never a valid destination ({range}).";
                return false;
            default:
                reason = "";
                return true;
        }
    }

    /// <summary>A SocketsHttpHandler connect callback that resolves, filters by policy, then connects.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = await ConnectSocketAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken);
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>
    /// Resolves <paramref name="host"/> now, drops every address the policy refuses and connects to the first
    /// one left; for raw TCP the hub opens itself (the RTSP relay). Throws <see cref="HttpRequestException"/>
    /// naming the reason when nothing is left.
    /// </summary>
    public async Task<Socket> ConnectSocketAsync(string host, int port, CancellationToken cancellationToken)
    {
        host = host.Trim('[', ']');
        if (IsNameDenied(host, port, out var denied))
        {
            throw new OutboundRefusedException(host, denied);
        }

        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        string reason = "no address";
        foreach (var address in addresses)
        {
            if (!IsEndpointAllowed(address, port, out reason))
            {
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new OutboundRefusedException(host, reason);
    }

    private bool IsNameDenied(string host, int port, out string reason)
    {
        foreach (var entry in Denied)
        {
            if (entry.Network is null && HostMatches(host, entry.Host) && entry.MatchesPort(port))
            {
                reason = $"Host '{host}' is on Security:OutboundUrls:DeniedHosts ({entry.Text}).";
                return true;
            }
        }

        reason = "";
        return false;
    }

    private static bool HostMatches(string host, string pattern) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
            : host.Equals(pattern, StringComparison.OrdinalIgnoreCase);

    /// <summary>One <see cref="OutboundUrlOptions.DeniedHosts"/> entry: a name pattern or a network, and an optional port.</summary>
    private sealed record DeniedEntry(string Text, string Host, IPNetwork? Network, int? Port)
    {
        public bool MatchesPort(int port) => Port is null || Port == port;

        public static DeniedEntry Parse(string text)
        {
            var value = text.Trim();
            int? port = null;
            var colon = value.LastIndexOf(':');

            // A port follows a bracketed IPv6 address or the only colon in a name or IPv4 entry.
            if (colon > 0 && (value.StartsWith('[') ? value[colon - 1] == ']' : value.IndexOf(':') == colon)
                && int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536)
            {
                port = p;
                value = value[..colon];
            }

            value = value.Replace("[", "", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal);
            if (IPNetwork.TryParse(value, out var network))
            {
                return new DeniedEntry(text, value, network, port);
            }

            if (IPAddress.TryParse(value, out var address))
            {
                if (address.IsIPv4MappedToIPv6)
                {
                    address = address.MapToIPv4();
                }

                return new DeniedEntry(text, value, new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), port);
            }

            return new DeniedEntry(text, value, null, port);
        }
    }
}
