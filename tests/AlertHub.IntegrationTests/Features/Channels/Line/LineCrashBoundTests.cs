using AlertHub.IntegrationTests.Features.Delivery;

namespace AlertHub.IntegrationTests.Features.Channels.Line;

/// <summary>
/// What a crash can send twice on LINE is bounded: a multicast starts only when the items it carries fit under the
/// channel's unrecorded allowance, so however far the outbox's recorder falls behind, LINE never holds more than
/// <c>MaxConcurrency × MulticastChunkSize</c> (or one batch) messages the outbox does not know about yet.
/// </summary>
public sealed class LineCrashBoundTests
{
    private const int Residents = 1000;
    private const int Bound = 100; // MaxConcurrency 2 × MulticastChunkSize 50, and MaxBatchSize 100

    [Fact]
    public async Task RecorderFallsBehind_LineNeverHoldsMoreUnrecordedMessagesThanTheBound()
    {
        SlowRecordingOutbox? outbox = null;
        await using var h = await LineHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Channels:Line:MaxBatchSize"] = "100",
            ["Channels:Line:MulticastChunkSize"] = "50",
            ["Channels:Line:MaxConcurrency"] = "2",
        }, services: s => SlowRecordingOutbox.Install(s, created => outbox = created));
        await h.ImportAsync(Residents);
        Assert.NotNull(outbox);
        outbox.Delay = TimeSpan.FromMilliseconds(250);

        var id = await h.IssueAsync();
        var mostUnrecorded = 0L;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (outbox.RecordedDelivered < Residents && DateTime.UtcNow < deadline)
        {
            // Recorded is read before delivered: a later read of the fake can only make the gap look larger, never smaller.
            var recorded = outbox.RecordedDelivered;
            mostUnrecorded = Math.Max(mostUnrecorded, h.Fake.DeliveryCount - recorded);
            await Task.Delay(2);
        }

        Assert.Equal(Residents, outbox.RecordedDelivered);
        Assert.Equal(Residents, h.Fake.DeliveryCount);
        Assert.True(mostUnrecorded <= Bound, $"LINE held {mostUnrecorded} delivered messages the outbox had not recorded (bound {Bound})");
        // The recorder really did lag (a quarter of a second per write), so the bound was what held the sender back.
        Assert.True(mostUnrecorded >= Bound / 2, $"the recorder never fell behind (at most {mostUnrecorded} unrecorded): the test proved nothing");
        await h.WaitLineAsync(id, l => l["delivered"]!.GetValue<long>() == Residents);
    }
}
