using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Security;

/// <summary>Configuration section <c>Security:OutboundUrls</c>: which URLs the hub may call (webhooks, later feeds and cameras).</summary>
public sealed class OutboundUrlOptions
{
    /// <summary>Allow 127.0.0.0/8 and ::1. Default: true in Development, false otherwise.</summary>
    public bool? AllowLoopback { get; set; }

    /// <summary>Allow private, link-local and other non-public ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 169.254/16 …). Default false.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Allow plain http. Default: true in Development, false otherwise.</summary>
    public bool? AllowHttp { get; set; }

    /// <summary>If not empty, only these host names (exact, or a leading "*." for subdomains) are allowed. Default empty (any public host).</summary>
    public List<string> AllowedHosts { get; set; } = [];
}

/// <summary>
/// Decides whether the hub may fetch or post to a URL. Checked when a URL is registered and again on every
/// connection (after DNS resolution) so a name that later resolves to a private address is still refused.
/// </summary>
internal sealed class OutboundUrlPolicy(IOptions<OutboundUrlOptions> options, IHostEnvironment environment)
{
    private bool AllowLoopback => options.Value.AllowLoopback ?? environment.IsDevelopment();
    private bool AllowHttp => options.Value.AllowHttp ?? environment.IsDevelopment();

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

        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address))
        {
            return IsAddressAllowed(address, out reason);
        }

        if (uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !AllowLoopback)
        {
            reason = "Loopback addresses are not allowed.";
            return false;
        }

        reason = "";
        return true;
    }

    public bool IsAddressAllowed(IPAddress address, out string reason)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            reason = AllowLoopback ? "" : "Loopback addresses are not allowed.";
            return AllowLoopback;
        }

        if (IsNonPublic(address) && !options.Value.AllowPrivateNetworks)
        {
            reason = $"Address {address} is in a private or reserved range.";
            return false;
        }

        reason = "";
        return true;
    }

    /// <summary>A SocketsHttpHandler connect callback that resolves, filters by policy, then connects.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        string reason = "no address";
        foreach (var address in addresses)
        {
            if (!IsAddressAllowed(address, out reason))
            {
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new HttpRequestException($"Outbound connection to {host} refused by policy: {reason}");
    }

    private static bool HostMatches(string host, string pattern) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
            : host.Equals(pattern, StringComparison.OrdinalIgnoreCase);

    private static bool IsNonPublic(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 10 || b[0] == 0 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || b[0] >= 224;
        }

        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal
            || address.Equals(IPAddress.IPv6Any);
    }
}
