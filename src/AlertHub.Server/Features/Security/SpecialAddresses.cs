using System.Net;
using System.Net.Sockets;

namespace AlertHub.Server.Features.Security;

/// <summary>How the outbound policy treats an address.</summary>
internal enum AddressScope
{
    /// <summary>Globally reachable unicast: allowed (subject to the host allowlist and deny list).</summary>
    Public,

    /// <summary>127.0.0.0/8 and ::1: allowed only with <see cref="OutboundUrlOptions.AllowLoopback"/>.</summary>
    Loopback,

    /// <summary>Reachable only inside an administrative domain (RFC 1918, CGNAT, link-local, ULA …): allowed only with <see cref="OutboundUrlOptions.AllowPrivateNetworks"/>.</summary>
    Private,

    /// <summary>Never a destination the hub should call, whatever the options: unspecified, multicast, reserved, documentation, tunnels.</summary>
    Forbidden,
}

/// <summary>
/// Classifies addresses after the IANA special-purpose address registries: iana-ipv4-special-registry and
/// iana-ipv6-special-registry as published in 2025 (the IPv6 registry's revision of 2025-10-09, which lists
/// 5f00::/16 and 3fff::/20). Every entry whose "Globally Reachable" is False or N/A is refused, plus multicast
/// and, for IPv6, everything outside 2000::/3 that is not named here (IANA assigns unicast only from 2000::/3,
/// so the deprecated IPv4-compatible ::/96, the IPv4-translated ::ffff:0:0:0/96, 100::/64 and new
/// allocations such as 5f00::/16 are refused without a table row of their own).
/// <para>
/// Entries the registries mark globally reachable but that are anycast service addresses, never a web host
/// (192.0.0.9 PCP, 192.0.0.10 TURN, 2001:1::1–3, AS112, AMT, ORCHIDv2, DRIP), go with the block around
/// them: 192.0.0.0/24 is private as a whole (DS-Lite and NAT64 discovery live there), 2001::/23 forbidden.
/// </para>
/// <para>
/// Addresses that embed an IPv4 address: IPv4-mapped ::ffff:0:0/96 is the IPv4 address itself (the socket
/// connects to it) and is judged as that address. NAT64 64:ff9b::/96 is how every IPv4 host looks from an
/// IPv6-only network with DNS64, so refusing it would cut such a hub off from IPv4; its embedded address is
/// judged instead and must be public (RFC 6052 §3.1 forbids the well-known prefix for non-global IPv4).
/// Local-use NAT64 64:ff9b:1::/48 (RFC 8215) has no fixed embedding and counts as private. 6to4 2002::/16
/// (deprecated, RFC 7526) and Teredo 2001::/32 are refused outright: no server the hub calls lives behind
/// them, and judging their embedded IPv4 would only add ways in.
/// </para>
/// </summary>
internal static class SpecialAddresses
{
    private static readonly (IPNetwork Network, AddressScope Scope, string Name)[] Ipv4 =
    [
        (IPNetwork.Parse("0.0.0.0/8"), AddressScope.Forbidden, "\"this network\" (0.0.0.0/8)"),
        (IPNetwork.Parse("10.0.0.0/8"), AddressScope.Private, "private-use 10.0.0.0/8"),
        (IPNetwork.Parse("100.64.0.0/10"), AddressScope.Private, "shared address space 100.64.0.0/10"),
        (IPNetwork.Parse("127.0.0.0/8"), AddressScope.Loopback, "loopback 127.0.0.0/8"),
        (IPNetwork.Parse("169.254.0.0/16"), AddressScope.Private, "link-local 169.254.0.0/16"),
        (IPNetwork.Parse("172.16.0.0/12"), AddressScope.Private, "private-use 172.16.0.0/12"),
        (IPNetwork.Parse("192.0.0.0/24"), AddressScope.Private, "IETF protocol assignments 192.0.0.0/24"),
        (IPNetwork.Parse("192.0.2.0/24"), AddressScope.Forbidden, "documentation 192.0.2.0/24"),
        (IPNetwork.Parse("192.31.196.0/24"), AddressScope.Forbidden, "AS112 anycast 192.31.196.0/24"),
        (IPNetwork.Parse("192.52.193.0/24"), AddressScope.Forbidden, "AMT anycast 192.52.193.0/24"),
        (IPNetwork.Parse("192.88.99.0/24"), AddressScope.Forbidden, "deprecated 6to4 relay anycast 192.88.99.0/24"),
        (IPNetwork.Parse("192.168.0.0/16"), AddressScope.Private, "private-use 192.168.0.0/16"),
        (IPNetwork.Parse("192.175.48.0/24"), AddressScope.Forbidden, "AS112 direct delegation 192.175.48.0/24"),
        (IPNetwork.Parse("198.18.0.0/15"), AddressScope.Private, "benchmarking 198.18.0.0/15"),
        (IPNetwork.Parse("198.51.100.0/24"), AddressScope.Forbidden, "documentation 198.51.100.0/24"),
        (IPNetwork.Parse("203.0.113.0/24"), AddressScope.Forbidden, "documentation 203.0.113.0/24"),
        (IPNetwork.Parse("224.0.0.0/4"), AddressScope.Forbidden, "multicast 224.0.0.0/4"),
        (IPNetwork.Parse("240.0.0.0/4"), AddressScope.Forbidden, "reserved 240.0.0.0/4 (with broadcast 255.255.255.255)"),
    ];

    private static readonly (IPNetwork Network, AddressScope Scope, string Name)[] Ipv6 =
    [
        (IPNetwork.Parse("::1/128"), AddressScope.Loopback, "loopback ::1"),
        (IPNetwork.Parse("::/128"), AddressScope.Forbidden, "unspecified ::"),
        (IPNetwork.Parse("64:ff9b:1::/48"), AddressScope.Private, "local-use NAT64 64:ff9b:1::/48"),
        (IPNetwork.Parse("2001::/32"), AddressScope.Forbidden, "Teredo 2001::/32"),
        (IPNetwork.Parse("2001::/23"), AddressScope.Forbidden, "IETF protocol assignments 2001::/23"),
        (IPNetwork.Parse("2001:db8::/32"), AddressScope.Forbidden, "documentation 2001:db8::/32"),
        (IPNetwork.Parse("2002::/16"), AddressScope.Forbidden, "6to4 2002::/16"),
        (IPNetwork.Parse("2620:4f:8000::/48"), AddressScope.Forbidden, "AS112 direct delegation 2620:4f:8000::/48"),
        (IPNetwork.Parse("3fff::/20"), AddressScope.Forbidden, "documentation 3fff::/20"),
        (IPNetwork.Parse("fc00::/7"), AddressScope.Private, "unique local fc00::/7"),
        (IPNetwork.Parse("fe80::/10"), AddressScope.Private, "link-local fe80::/10"),
        (IPNetwork.Parse("fec0::/10"), AddressScope.Private, "deprecated site-local fec0::/10"),
        (IPNetwork.Parse("ff00::/8"), AddressScope.Forbidden, "multicast ff00::/8"),
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");

    /// <summary>The scope of <paramref name="address"/> and, unless public, which range put it there.</summary>
    public static (AddressScope Scope, string Range) Classify(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // A scope id (fe80::1%eth0) does not change the address's range.
            if (address.ScopeId != 0)
            {
                address = new IPAddress(address.GetAddressBytes());
            }

            if (address.IsIPv4MappedToIPv6)
            {
                return Classify(address.MapToIPv4());
            }

            if (Nat64.Contains(address))
            {
                var embedded = new IPAddress(address.GetAddressBytes()[12..]);
                var (scope, range) = Classify(embedded);
                return scope == AddressScope.Public
                    ? (AddressScope.Public, "")
                    : (AddressScope.Forbidden, $"NAT64 64:ff9b::/96 of {embedded}, which is {range}");
            }

            foreach (var (network, scope, name) in Ipv6)
            {
                if (network.Contains(address))
                {
                    return (scope, name);
                }
            }

            return GlobalUnicast.Contains(address) ? (AddressScope.Public, "") : (AddressScope.Forbidden, "reserved IPv6 space outside 2000::/3");
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return (AddressScope.Forbidden, $"address family {address.AddressFamily}");
        }

        foreach (var (network, scope, name) in Ipv4)
        {
            if (network.Contains(address))
            {
                return (scope, name);
            }
        }

        return (AddressScope.Public, "");
    }
}
