using System.Net;
using AlertHub.Server.Infrastructure;

namespace AlertHub.UnitTests.Infrastructure;

public sealed class ClientAddressTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1234:5678:aaaa:bbbb:cccc:dddd", "2001:db8:1234:5678::/64")]
    [InlineData("2001:db8:1234:5678::1", "2001:db8:1234:5678::/64")]
    [InlineData("fe80::1%3", "fe80::/64")]
    [InlineData("::1", "::/64")]
    public void KeyOf_KeysIPv4ByAddress_AndIPv6ByItsSlash64(string address, string key) =>
        Assert.Equal(key, ClientAddress.KeyOf(IPAddress.Parse(address)));

    [Fact]
    public void KeyOf_TwoAddressesOfOneSlash64_ShareAKey_AndTheNextSlash64DoesNot()
    {
        var a = ClientAddress.KeyOf(IPAddress.Parse("2001:db8:0:1::1"));
        var b = ClientAddress.KeyOf(IPAddress.Parse("2001:db8:0:1:ffff:ffff:ffff:ffff"));
        var c = ClientAddress.KeyOf(IPAddress.Parse("2001:db8:0:2::1"));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void KeyOf_NoAddress_IsOneSharedKey() => Assert.Equal("unknown", ClientAddress.KeyOf((IPAddress?)null));
}
