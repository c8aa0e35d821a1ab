using System.Net;
using System.Net.Sockets;

namespace AlertHub.Server.Infrastructure;

/// <summary>The key every per-client limit counts under (sign-in lockout, self-registration rate).</summary>
internal static class ClientAddress
{
    /// <summary>
    /// An IPv4 address as itself, an IPv4-mapped IPv6 address as the IPv4 address, an IPv6 address as its /64.
    /// One IPv6 subscriber usually gets a whole /64 (and often a /56), so per-address limits on the full
    /// address let one household rotate through 2^64 "clients".
    /// </summary>
    public static string KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>The key of the request's client (after the forwarded-headers middleware, when a trusted proxy is in front).</summary>
    public static string KeyOf(HttpContext context) => KeyOf(context.Connection.RemoteIpAddress);
}
