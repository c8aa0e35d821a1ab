using AlertHub.MobileSim.Peers.Twilio;
using AlertHub.MobileSim.Report;

namespace AlertHub.IntegrationTests.Features.Channels.Telephony;

/// <summary>The fake's resident numbers: a receipt is attributed by the number called, so two residents must never share one.</summary>
public sealed class FakeTwilioNumbersTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EndpointFor_ManyResidents_GivesEachTheirOwnNumber_TheSameEveryTime(bool sms)
    {
        await using var fake = new FakeTwilio(new ReceiptLog(), sms);
        var ids = Enumerable.Range(0, 20_000).Select(i => $"sim-{i}").ToList();

        var numbers = ids.Select(id => fake.EndpointFor(id).Address!).ToList();

        Assert.Equal(ids.Count, numbers.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(numbers[123], fake.EndpointFor(ids[123]).Address);
        Assert.All(numbers, n => Assert.Matches(sms ? @"^\+8190\d{8}$" : @"^\+81182\d{6}$", n));
    }
}
