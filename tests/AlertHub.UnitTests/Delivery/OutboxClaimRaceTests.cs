using AlertHub.Server.Features.Delivery;
using AlertHub.Server.Features.Storage;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Delivery;

/// <summary>
/// The delivery pipeline claims the next batch while the previous one is being recorded. The claim's scan reads a
/// snapshot; if a row's outcome is committed and the row leaves the in-flight set while that scan is still running,
/// the scan still sees the row as pending and not in flight. The claim must not hand it out again — that was a
/// duplicate send (seen as FCM duplicates in the mobile-sim outage scenario at scale).
/// </summary>
public sealed class OutboxClaimRaceTests : IDisposable
{
    private const string Channel = "fcm";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alerthub-outbox-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_row_recorded_while_the_claim_scans_is_not_claimed_again()
    {
        var (outbox, ids) = await OutboxWithPendingRowsAsync(4);
        var inFlight = new HashSet<long>(ids.Take(2));
        var recordedMidScan = false;

        // The in-flight check runs while the scan's snapshot is open: record rows 0 and 1 (delivered and "retry
        // later") and release them exactly then, as the recorder does concurrently in the real pipeline.
        bool InFlight(long id)
        {
            if (!recordedMidScan)
            {
                recordedMidScan = true;
                outbox.RecordAsync(
                [
                    new WorkOutcome(ids[0], WorkState.Delivered, 1_000, null, 1, null),
                    new WorkOutcome(ids[1], WorkState.Pending, null, 60_000, 1, "503"),
                ], CancellationToken.None).GetAwaiter().GetResult();
                inFlight.Clear();
            }

            return inFlight.Contains(id);
        }

        var claimed = await outbox.ClaimDueAsync(Channel, 10, nowMs: 2_000, InFlight, inFlightCount: 2, CancellationToken.None);

        Assert.True(recordedMidScan);
        Assert.Equal([ids[2], ids[3]], claimed.Select(c => c.Id));
    }

    [Fact]
    public async Task Rows_in_flight_are_skipped_and_the_rest_claimed_in_order()
    {
        var (outbox, ids) = await OutboxWithPendingRowsAsync(5);
        var claimed = await outbox.ClaimDueAsync(Channel, 2, nowMs: 2_000, id => id == ids[0], inFlightCount: 1, CancellationToken.None);
        Assert.Equal([ids[1], ids[2]], claimed.Select(c => c.Id));
    }

    private async Task<(OutboxStore Outbox, long[] Ids)> OutboxWithPendingRowsAsync(int count)
    {
        var database = new Database(Options.Create(new StorageOptions { DataDirectory = _dir }), new TestHostEnvironment());
        await database.MigrateAsync(CancellationToken.None);
        await using var connection = await database.OpenAsync();
        var ids = new long[count];
        for (var i = 0; i < count; i++)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                INSERT INTO delivery_work(alert_id, version, resident_id, channel, priority, next_attempt_at, queued_at)
                VALUES ('a1', 1, $resident, $channel, 3, 0, 0) RETURNING id
                """;
            cmd.Parameters.AddWithValue("$resident", Guid.NewGuid().ToString());
            cmd.Parameters.AddWithValue("$channel", Channel);
            ids[i] = (long)(await cmd.ExecuteScalarAsync())!;
        }

        return (new OutboxStore(database), ids);
    }
}
