using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Delivery.Channels.Line;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;

namespace AlertHub.UnitTests.Channels.Line;

public sealed class LineChannelTests
{
    private static string User(int i) => "U" + i.ToString("x32");

    private static DeliveryItem Item(int i, string language = "ja", int version = 1, string? address = null) =>
        new(i, $"a:{version}:{i}:line", Guid.NewGuid(), address ?? User(i), null, LineMessagesTests.Message(language, version));

    [Fact]
    public void Plan_1201ItemsOfOneMessage_ThreeMulticastsOfAtMost500SortedIds()
    {
        var items = Enumerable.Range(0, 1201).Reverse().Select(i => Item(i)).ToList();

        var plans = LineChannel.Plan(items, new LineChannelOptions());

        Assert.Equal([500, 500, 201], plans.Select(p => p.Recipients.Count));
        Assert.All(plans, p => Assert.Equal(LineSendMode.Multicast, p.Mode));
        var all = plans.SelectMany(p => p.Recipients).ToList();
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Equal(Enumerable.Range(0, 1201), plans.SelectMany(p => p.Items).Order());
    }

    [Fact]
    public void Plan_TwoLanguagesAndTwoVersions_OneGroupPerRenderedMessage()
    {
        List<DeliveryItem> items = [Item(1), Item(2, "en"), Item(3), Item(4, version: 2), Item(5, "en")];

        var plans = LineChannel.Plan(items, new LineChannelOptions());

        Assert.Equal(3, plans.Count);
        Assert.Contains(plans, p => p.Message.Language == "ja" && p.Message.Version == 1 && p.Recipients.SequenceEqual([User(1), User(3)]));
        Assert.Contains(plans, p => p.Message.Language == "en" && p.Recipients.SequenceEqual([User(2), User(5)]));
        Assert.Contains(plans, p => p.Message.Version == 2 && p.Recipients.SequenceEqual([User(4)]));
    }

    [Fact]
    public void Plan_TwoOutboxChunksInOneBatch_NeverShareARequest_AndEachChunkPlansAsItWouldAlone()
    {
        // Two chunks of one message whose user ids interleave: sorted together they would be cut into mixed requests.
        var chunkA = Enumerable.Range(0, 700).Where(i => i % 2 == 0).Select(i => Item(i) with { Chunk = 11 }).ToList();
        var chunkB = Enumerable.Range(0, 700).Where(i => i % 2 == 1).Select(i => Item(i) with { Chunk = 12 }).ToList();
        var options = new LineChannelOptions();

        var together = LineChannel.Plan([.. chunkA, .. chunkB], options);
        var aAlone = LineChannel.Plan(chunkA, options);

        Assert.All(together, p => Assert.Single(p.Items.Select(i => i < chunkA.Count ? 11 : 12).Distinct()));
        // What another node plans for chunk A after a crash, with or without other work in its batch, is the same
        // requests: the same recipients, so the same retry keys, and LINE answers 409 instead of delivering twice.
        var keysTogether = together.Where(p => p.Items.All(i => i < chunkA.Count)).Select(Key).ToList();
        Assert.Equal(aAlone.Select(Key), keysTogether);
        Assert.Equal([350], aAlone.Select(p => p.Recipients.Count));

        static Guid Key(LineRequestPlan p) => LineMessages.RetryKey(p.Mode, p.Message, LineMessageFormat.Text, p.Recipients);
    }

    [Fact]
    public void Plan_SameUserIdTwice_AddressedOnceButBothItemsCovered()
    {
        List<DeliveryItem> items = [Item(1, address: User(9)), Item(2, address: User(9))];

        var plan = Assert.Single(LineChannel.Plan(items, new LineChannelOptions()));

        Assert.Equal([User(9)], plan.Recipients);
        Assert.Equal([0, 1], plan.Items);
    }

    [Fact]
    public void Plan_ItemOfAnAmbiguousMulticast_GoesOutAsThatRequestAgain()
    {
        var earlier = new AmbiguousRequest([User(1), User(2), User(3)], 0);
        List<DeliveryItem> items = [Item(2), Item(4)];

        var plans = LineChannel.Plan(items, new LineChannelOptions(), key => key == items[0].IdempotencyKey ? earlier : null);

        Assert.Equal(2, plans.Count);
        var again = plans.Single(p => p.Items.SequenceEqual([0]));
        Assert.Same(earlier.Recipients, again.Recipients);
        Assert.Equal(LineMessages.RetryKey(LineSendMode.Multicast, items[0].Message, LineMessageFormat.Text, [User(3), User(1), User(2)]),
            LineMessages.RetryKey(again.Mode, again.Message, LineMessageFormat.Text, again.Recipients));
        Assert.Equal([User(4)], plans.Single(p => p.Items.SequenceEqual([1])).Recipients);
    }

    [Fact]
    public void Plan_PushMode_OneRequestPerUser()
    {
        var plans = LineChannel.Plan([Item(1), Item(2), Item(3, "en")], new LineChannelOptions { Mode = LineSendMode.Push });

        Assert.Equal(3, plans.Count);
        Assert.All(plans, p => Assert.Single(p.Recipients));
    }

    [Fact]
    public void Plan_BroadcastMode_OneRequestPerAlertVersionInTheBroadcastLanguage()
    {
        var plans = LineChannel.Plan([Item(1, "en"), Item(2), Item(3, "en"), Item(4, version: 2, language: "en")],
            new LineChannelOptions { Mode = LineSendMode.Broadcast });

        Assert.Equal(2, plans.Count);
        var v1 = plans.Single(p => p.Message.Version == 1);
        Assert.Equal("ja", v1.Message.Language);
        Assert.Equal([0, 1, 2], v1.Items);
        Assert.Empty(v1.Recipients);
        Assert.Equal("en", plans.Single(p => p.Message.Version == 2).Message.Language);
    }

    [Theory]
    [InlineData(LineSendMode.Multicast, 200, null, null, DeliveryOutcome.Delivered)]
    [InlineData(LineSendMode.Narrowcast, 202, null, null, DeliveryOutcome.Delivered)]
    [InlineData(LineSendMode.Multicast, 409, "The retry key is already accepted", "7e8f1b6c-0000-4000-8000-000000000001", DeliveryOutcome.Delivered)]
    [InlineData(LineSendMode.Multicast, 409, "Conflict", null, DeliveryOutcome.Rejected)]
    [InlineData(LineSendMode.Multicast, 429, "Too Many Requests", null, DeliveryOutcome.Throttled)]
    [InlineData(LineSendMode.Multicast, 500, "Internal Server Error", null, DeliveryOutcome.Transient)]
    [InlineData(LineSendMode.Multicast, 503, null, null, DeliveryOutcome.Transient)]
    [InlineData(LineSendMode.Multicast, 0, "timed out", null, DeliveryOutcome.Transient)]
    [InlineData(LineSendMode.Multicast, 401, "Authentication failed.", null, DeliveryOutcome.Transient)]
    [InlineData(LineSendMode.Multicast, 400, "The request body has 1 error(s)", null, DeliveryOutcome.Rejected)]
    [InlineData(LineSendMode.Multicast, 400, "Failed to send messages", null, DeliveryOutcome.Rejected)]
    [InlineData(LineSendMode.Push, 400, "Failed to send messages", null, DeliveryOutcome.AddressGone)]
    [InlineData(LineSendMode.Multicast, 413, "Request Entity Too Large", null, DeliveryOutcome.Rejected)]
    public void Classify_LineAnswer_MapsToDocumentedOutcome(LineSendMode mode, int status, string? message, string? acceptedId, DeliveryOutcome expected)
    {
        var (outcome, _, retryAfter) = LineChannel.Classify(mode, new LineApiResult(status, "req", acceptedId, message, null), TimeSpan.FromSeconds(60));

        Assert.Equal(expected, outcome);
        Assert.Equal(expected == DeliveryOutcome.Throttled ? TimeSpan.FromSeconds(60) : null, retryAfter);
    }

    [Fact]
    public void Classify_400WithDetails_KeepsMessageAndDetailsInTheDetail()
    {
        var (_, detail, _) = LineChannel.Classify(LineSendMode.Multicast,
            new LineApiResult(400, "req", null, "The request body has 1 error(s)", "messages[0].text: Length must be between 0 and 5000"), TimeSpan.FromSeconds(1));

        Assert.Contains("The request body has 1 error(s)", detail, StringComparison.Ordinal);
        Assert.Contains("messages[0].text: Length must be between 0 and 5000", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("U0123456789abcdef0123456789abcdef", true)]
    [InlineData("U0123456789ABCDEF0123456789ABCDEF", false)]
    [InlineData("C0123456789abcdef0123456789abcdef", false)]
    [InlineData("U0123456789abcdef0123456789abcde", false)]
    [InlineData("", false)]
    public void EndpointValidator_Address_AcceptsOnlyUserIds(string address, bool valid)
    {
        var validator = new LineEndpointValidator();

        if (valid)
        {
            Assert.Equal(new ValidEndpoint("line", address, null), validator.Validate(new EndpointDto("line", address, null), 0));
        }
        else
        {
            var e = Assert.Throws<RequestValidationException>(() => validator.Validate(new EndpointDto("line", address, null), 2));
            Assert.Equal(Problems.ResidentEndpointInvalid, e.Code);
        }
    }
}
