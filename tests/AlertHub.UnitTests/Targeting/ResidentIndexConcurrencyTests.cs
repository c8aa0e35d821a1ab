using AlertHub.Core.Targeting;
using Microsoft.Extensions.Time.Testing;
using static AlertHub.UnitTests.Targeting.TargetingTestData;

namespace AlertHub.UnitTests.Targeting;

public sealed class ResidentIndexConcurrencyTests
{
    [Fact]
    public async Task Query_WhileUpserting_NeverThrowsAndEndsConsistent()
    {
        var time = new FakeTimeProvider(Start);
        var index = new ResidentIndex(time);
        var reference = new BruteForceTargeting(time);
        var box = new PolygonShape("box", "Box", Box(140.4, 39.1, 140.7, 39.4));
        var query = new TargetQuery([box, new CircleShape("c", "Circle", 39.3, 140.6, 8_000)], CollectRecipients: true);
        var initial = Enumerable.Range(0, 5000).Select(i => At(Id(i), 39.0 + (i % 100 * 0.005), 140.3 + (i / 100 * 0.01))).ToList();
        index.BulkUpsert(initial);
        initial.ForEach(reference.Upsert);

        using var done = new CancellationTokenSource();
        using var started = new CountdownEvent(3);
        // Readers spin and the writer blocks until they run: threads of their own, so they never starve the thread pool that
        // the other test classes running alongside need (four pool threads held on 2 cores stalled them for seconds).
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Factory.StartNew(() =>
        {
            var queries = 0;
            while (!done.IsCancellationRequested)
            {
                var result = index.Query(query);
                Assert.InRange(result.Recipients, 0, 7000);
                if (queries++ == 0)
                {
                    started.Signal();
                }
            }

            return queries;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        var writer = Task.Factory.StartNew(() =>
        {
            // Only start writing once every reader is running, so reads and writes really overlap.
            Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
            var random = new Random(7);
            for (var i = 0; i < 3000; i++)
            {
                var id = Id(random.Next(7000));
                if (random.Next(10) == 0)
                {
                    index.Remove(id);
                    reference.Remove(id);
                }
                else
                {
                    var resident = At(id, 39.0 + (random.NextDouble() * 0.5), 140.3 + (random.NextDouble() * 0.5));
                    index.Upsert(resident);
                    reference.Upsert(resident);
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await writer;
        await done.CancelAsync();
        var counts = await Task.WhenAll(readers);

        Assert.All(counts, c => Assert.True(c > 1));
        var final = index.Query(query);
        var expected = reference.Query(query);
        Assert.Equal(expected.RecipientIds.Order(), final.RecipientIds.Order());
        Assert.Equal(expected.ByArea.OrderBy(kv => kv.Key), final.ByArea.OrderBy(kv => kv.Key));
    }
}
