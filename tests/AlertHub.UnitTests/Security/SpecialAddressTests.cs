using System.Net;
using System.Net.Sockets;
using AlertHub.Server.Features.Security;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Security;

/// <summary>
/// One row per range of the IANA special-purpose registries (and the embedded-IPv4 forms): an address inside
/// is refused in production, the nearest address outside (where one is public) is allowed. Only
/// <see cref="OutboundUrlPolicy.IsAddressAllowed"/> and <see cref="OutboundUrlPolicy.IsAllowed"/> are used, the
/// two gates every registration and every connection pass through.
/// </summary>
public sealed class SpecialAddressTests
{
    private static OutboundUrlPolicy Policy(OutboundUrlOptions? options = null, string environment = "Production") =>
        new(Options.Create(options ?? new OutboundUrlOptions()), new TestHostEnvironment(environment));

    public static TheoryData<string, string> RefusedInside => new()
    {
        { "0.0.0.0", "this network" },
        { "0.1.2.3", "this network" },
        { "10.255.255.255", "private-use" },
        { "100.64.0.1", "shared address space" },
        { "100.127.255.254", "shared address space" },
        { "127.0.0.1", "loopback" },
        { "127.255.255.254", "loopback" },
        { "169.254.169.254", "link-local" },
        { "172.16.0.1", "private-use" },
        { "172.31.255.255", "private-use" },
        { "192.0.0.1", "IETF protocol assignments" },
        { "192.0.0.9", "IETF protocol assignments" },
        { "192.0.0.170", "IETF protocol assignments" },
        { "192.0.0.255", "IETF protocol assignments" },
        { "192.0.2.10", "documentation" },
        { "192.31.196.1", "AS112" },
        { "192.52.193.1", "AMT" },
        { "192.88.99.1", "6to4 relay" },
        { "192.168.1.10", "private-use" },
        { "192.175.48.1", "AS112" },
        { "198.18.0.1", "benchmarking" },
        { "198.19.255.254", "benchmarking" },
        { "198.51.100.7", "documentation" },
        { "203.0.113.9", "documentation" },
        { "224.0.0.251", "multicast" },
        { "239.255.255.250", "multicast" },
        { "240.0.0.1", "reserved" },
        { "255.255.255.255", "reserved" },
        { "::", "unspecified" },
        { "::1", "loopback" },
        { "::127.0.0.1", "outside 2000::/3" },       // IPv4-compatible (deprecated)
        { "::8.8.8.8", "outside 2000::/3" },         // IPv4-compatible, even of a public address
        { "::ffff:127.0.0.1", "loopback" },          // IPv4-mapped: judged as the IPv4 address
        { "::ffff:10.0.0.1", "private-use" },
        { "::ffff:198.18.0.1", "benchmarking" },
        { "::ffff:0:8.8.8.8", "outside 2000::/3" },  // IPv4-translated (SIIT)
        { "64:ff9b::7f00:1", "NAT64" },              // NAT64 of 127.0.0.1
        { "64:ff9b::a00:1", "NAT64" },               // NAT64 of 10.0.0.1
        { "64:ff9b::c612:1", "NAT64" },              // NAT64 of 198.18.0.1
        { "64:ff9b::a9fe:a9fe", "NAT64" },           // NAT64 of 169.254.169.254
        { "64:ff9b:1::1", "local-use NAT64" },
        { "64:ff9b:1:ffff::8.8.8.8", "local-use NAT64" },
        { "100::1", "outside 2000::/3" },            // discard-only
        { "2001::1", "Teredo" },
        { "2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo" },
        { "2001:1::1", "IETF protocol assignments" },
        { "2001:2::1", "IETF protocol assignments" }, // benchmarking
        { "2001:10::1", "IETF protocol assignments" }, // ORCHID
        { "2001:1ff:ffff::1", "IETF protocol assignments" },
        { "2001:db8::1", "documentation" },
        { "2002:7f00:1::1", "6to4" },                // 6to4 of 127.0.0.1
        { "2002:808:808::1", "6to4" },               // 6to4 of a public address: refused all the same
        { "2620:4f:8000::1", "AS112" },
        { "3fff::1", "documentation" },
        { "5f00::1", "outside 2000::/3" },           // SRv6 SIDs
        { "fc00::1", "unique local" },
        { "fd12:3456::1", "unique local" },
        { "fe80::1", "link-local" },
        { "fe80::1%2", "link-local" },
        { "fec0::1", "site-local" },
        { "ff02::1", "multicast" },
        { "ff0e::1", "multicast" },
    };

    /// <summary>The nearest public neighbours: a range drawn one address too wide would refuse these.</summary>
    public static TheoryData<string> AllowedOutside => new()
    {
        "1.0.0.1",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "191.255.255.255",
        "192.0.1.0",
        "192.0.3.0",
        "192.31.195.255",
        "192.52.194.0",
        "192.88.98.255",
        "192.167.255.255",
        "192.169.0.0",
        "192.175.49.0",
        "198.17.255.255",
        "198.20.0.0",
        "198.51.99.255",
        "198.51.101.0",
        "203.0.112.255",
        "203.0.114.0",
        "223.255.255.255",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",      // NAT64 of 8.8.8.8: how an IPv4 host looks on an IPv6-only network
        "2000::1",
        "2001:200::1",           // just past 2001::/23
        "2001:db7:ffff::1",
        "2001:db9::1",
        "2001:4860:4860::8888",
        "2003::1",
        "2620:4f:8001::1",
        "3ffe:ffff::1",
        "2400:cb00::1",
    };

    [Theory]
    [MemberData(nameof(RefusedInside))]
    public void IsAddressAllowed_SpecialPurposeAddressInProduction_IsRefusedNamingTheRange(string address, string range)
    {
        Assert.False(Policy().IsAddressAllowed(IPAddress.Parse(address), out var reason), $"{address} must be refused");
        Assert.Contains(range == "loopback" ? "Loopback" : range, reason, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(RefusedInside))]
    public void IsAllowed_UrlWithSpecialPurposeLiteral_IsRefusedAtRegistration(string address, string range)
    {
        _ = range;
        var host = IPAddress.Parse(address).AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address.Replace("%", "%25", StringComparison.Ordinal)}]" : address;
        Assert.False(Policy().IsAllowed($"https://{host}/hook", out _), $"https://{host}/hook must be refused");
    }

    [Theory]
    [MemberData(nameof(AllowedOutside))]
    public void IsAddressAllowed_NearestPublicNeighbour_IsAllowed(string address) =>
        Assert.True(Policy().IsAddressAllowed(IPAddress.Parse(address), out var reason), $"{address}: {reason}");

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("100.64.0.1")]
    [InlineData("169.254.10.1")]
    [InlineData("172.20.0.1")]
    [InlineData("192.0.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("198.18.0.1")]
    [InlineData("fd00::1")]
    [InlineData("fe80::1")]
    [InlineData("64:ff9b:1::1")]
    public void IsAddressAllowed_PrivateRangeWithAllowPrivateNetworks_IsAllowed(string address) =>
        Assert.True(Policy(new OutboundUrlOptions { AllowPrivateNetworks = true }).IsAddressAllowed(IPAddress.Parse(address), out var reason), reason);

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("192.0.2.1")]
    [InlineData("::")]
    [InlineData("::10.0.0.1")]
    [InlineData("ff02::1")]
    [InlineData("2002:a00:1::1")]
    [InlineData("2001::1")]
    [InlineData("64:ff9b::a00:1")]
    [InlineData("127.0.0.1")]
    public void IsAddressAllowed_NeverValidDestinationWithAllowPrivateNetworks_IsStillRefused(string address) =>
        Assert.False(Policy(new OutboundUrlOptions { AllowPrivateNetworks = true }).IsAddressAllowed(IPAddress.Parse(address), out _), address);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void IsAddressAllowed_LoopbackInDevelopment_IsAllowedAsBefore(string address) =>
        Assert.True(Policy(environment: "Development").IsAddressAllowed(IPAddress.Parse(address), out var reason), reason);

    [Theory]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("2002:7f00:1::1")]
    [InlineData("::127.0.0.1")]
    [InlineData("0.0.0.0")]
    public void IsAddressAllowed_LoopbackInDisguiseInDevelopment_IsRefused(string address) =>
        Assert.False(Policy(environment: "Development").IsAddressAllowed(IPAddress.Parse(address), out _), address);
}
