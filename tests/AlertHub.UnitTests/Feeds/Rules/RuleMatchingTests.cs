using AlertHub.Server.Features.Rules;
using AlertHub.Tests.Shared;
using AlertHub.UnitTests.Feeds.Safety;

namespace AlertHub.UnitTests.Feeds.Rules;

/// <summary>Which rules see which events: by family, by category (the hub's or any CAP category) and by CAP eventCode.</summary>
public sealed class RuleMatchingTests
{
    [FeedFixtureTheory]
    [InlineData("CAP", true)]
    [InlineData("category:Geo", true)]
    [InlineData("category:geo", true)]
    [InlineData("category:Met", false)]
    [InlineData("category:cap", false)]
    [InlineData("eventCode:EQW", true)]
    [InlineData("eventCode:SAME=EQW", true)]
    [InlineData("eventCode:SAME=TOR", false)]
    [InlineData("eventCode:OTHER=EQW", false)]
    [InlineData("JMA:VXSE53", false)]
    public void Matches_RealUsgsEarthquakeCap_ByFamilyCategoryAndEventCode(string family, bool expected)
    {
        var e = FeedFixtures.Parse("cap", "earthquake.cap.xml");

        Assert.Equal(expected, RuleEngine.Matches(family, e));
    }

    [SharedDataFact]
    public void Matches_JmaTelegram_ByFamilyAndHubCategoryOnly()
    {
        var e = FeedFixtures.Parse("jma", "32-35_06_03_240613_VXSE53.xml");

        Assert.True(RuleEngine.Matches("JMA:VXSE53", e));
        Assert.True(RuleEngine.Matches("category:earthquake", e));
        Assert.False(RuleEngine.Matches("category:Geo", e));
        Assert.False(RuleEngine.Matches("eventCode:EQW", e));
    }
}
