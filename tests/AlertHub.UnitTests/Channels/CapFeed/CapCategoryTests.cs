using AlertHub.Server.Features.Delivery.Channels.CapFeed;

namespace AlertHub.UnitTests.Channels.CapFeed;

/// <summary>The CAP category of the events the shipped rules issue (ResidentTemplates.EventOf).</summary>
public sealed class CapCategoryTests
{
    [Theory]
    [InlineData("地震", "Geo")]
    [InlineData("津波", "Geo")]
    [InlineData("土砂災害", "Geo")]
    [InlineData("気象警報", "Met")]
    [InlineData("洪水", "Met")]
    [InlineData("竜巻", "Met")]
    [InlineData("避難情報", "Safety")]
    [InlineData("防災情報", "Other")]
    public void Category_OfTheShippedFamilyEvents(string eventName, string category) => Assert.Equal(category, CapWriter.Category(eventName));
}
