using AlertHub.Server.Features.Alerts;

namespace AlertHub.UnitTests.Alerts;

public sealed class QueueingPartsTests
{
    [Fact]
    public void SliceIntoParts_KeepsEachResidentWithAllTheirChannelsInOnePart_InTheOrderOfTheLaterList()
    {
        var residents = Enumerable.Range(1, 10).Select(i => new Guid(i, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0])).ToList();
        var firstPart = residents.Take(2).ToList();
        var later = residents.Skip(2).ToList(); // 8 residents → parts of 3, 3, 2
        var byChannel = new Dictionary<string, IReadOnlyList<Guid>>
        {
            // LINE for everyone, e-mail for every other resident (listed in a different order), FCM for nobody.
            ["line"] = residents,
            ["email"] = [.. residents.Where((_, i) => i % 2 == 0).Reverse()],
            ["fcm"] = [],
        };

        var parts = AlertQueueing.SliceIntoParts(byChannel, later, partSize: 3);

        Assert.Equal(3, parts.Count);
        Assert.Equal(later.Take(3), parts[0]["line"]);
        Assert.Equal(later.Skip(3).Take(3), parts[1]["line"]);
        Assert.Equal(later.Skip(6), parts[2]["line"]);
        for (var k = 0; k < parts.Count; k++)
        {
            var inPart = parts[k]["line"].ToHashSet();
            // E-mail members of a part are exactly the part's residents who have e-mail: nobody split across parts.
            Assert.Equal(byChannel["email"].Where(inPart.Contains), parts[k]["email"]);
            Assert.Empty(parts[k]["fcm"]);
            Assert.DoesNotContain(parts[k].Values.SelectMany(v => v), firstPart.Contains);
        }

        Assert.Equal(later.Count, parts.Sum(p => p["line"].Count));
        Assert.Equal(byChannel["email"].Count(r => !firstPart.Contains(r)), parts.Sum(p => p["email"].Count));
    }

    [Fact]
    public void SliceIntoParts_ChannelNamesStayCaseInsensitive_AndAnEmptyRestGivesNoParts()
    {
        var resident = Guid.NewGuid();
        var byChannel = new Dictionary<string, IReadOnlyList<Guid>> { ["LINE"] = [resident] };

        var parts = AlertQueueing.SliceIntoParts(byChannel, [resident], partSize: 100);

        Assert.Equal([resident], Assert.Single(parts)["line"]);
        Assert.Empty(AlertQueueing.SliceIntoParts(byChannel, [], partSize: 100));
    }
}
