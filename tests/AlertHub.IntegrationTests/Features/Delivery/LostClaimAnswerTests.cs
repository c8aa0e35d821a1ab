using AlertHub.Core.Storage;
using AlertHub.IntegrationTests.Features.Channels.Line;

namespace AlertHub.IntegrationTests.Features.Delivery;

/// <summary>
/// A claim can commit in the database and still fail in the hub: its answer is lost with a primary that dies right after the
/// commit reached the synchronous standby. The rows are then this node's in the store and nobody's in memory. They must
/// be sent within seconds of the store answering again, not when their lease runs out minutes later.
/// </summary>
public sealed class LostClaimAnswerTests
{
    private const int Residents = 1000;
    private const int BatchSize = 100;

    [Fact]
    public async Task ClaimCommittedButItsAnswerLost_MidFanOut_TheRowsAreSentWithinSecondsNotAfterTheLease()
    {
        LostClaimAnswerOutbox? outbox = null;
        await using var h = await LineHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Channels:Line:MaxBatchSize"] = $"{BatchSize}",
            ["Channels:Line:MulticastChunkSize"] = "50",
            // The lease is what the stray rows would otherwise wait out; the sweep runs often, so only the lease holds them.
            ["Delivery:ClaimLease"] = "00:05:00",
            ["Delivery:LeaseSweepInterval"] = "00:00:01",
        }, services: s => DelegatingOutbox.Install(s, inner => new LostClaimAnswerOutbox(inner), created => outbox = created));
        await h.ImportAsync(Residents);
        Assert.NotNull(outbox);

        // The third claim of the fan-out commits and then fails, while the batches before it are still in hand.
        outbox.LoseAnswerOfClaim = 3;
        var id = await h.IssueAsync();
        await h.WaitLineAsync(id, l => l["delivered"]!.GetValue<long>() == Residents, seconds: 30);

        Assert.Equal(BatchSize, outbox.RowsLost);
        Assert.Equal(Residents, h.Log.DistinctCount);
        // The lost claim's rows had never been sent, so nobody got the alert twice.
        Assert.Equal(Residents, h.Fake.DeliveryCount);
    }

    /// <summary>The real store, except that one claim on LINE commits and then throws, as if its answer never came back.</summary>
    private sealed class LostClaimAnswerOutbox(IOutboxStore inner) : DelegatingOutbox(inner)
    {
        private int _claims;
        private int _rowsLost;

        /// <summary>Which non-empty LINE claim (1-based) loses its answer; 0 for none.</summary>
        public int LoseAnswerOfClaim { get; set; }

        public int RowsLost => Volatile.Read(ref _rowsLost);

        public override async Task<IReadOnlyList<ClaimedWork>> ClaimDueAsync(string channel, int limit, long nowMs, string claimant, long leaseUntilMs,
            CancellationToken cancellationToken)
        {
            var claimed = await Inner.ClaimDueAsync(channel, limit, nowMs, claimant, leaseUntilMs, cancellationToken);
            if (channel == "line" && claimed.Count > 0 && Interlocked.Increment(ref _claims) == LoseAnswerOfClaim)
            {
                Interlocked.Add(ref _rowsLost, claimed.Count);
                throw new TimeoutException("the claim committed, but its answer was lost with the database primary");
            }

            return claimed;
        }
    }
}
