using System.Collections.Concurrent;

namespace AlertHub.Core.Delivery;

/// <summary>Where an alert's delivery time went, summed over its batches on every channel (in memory, recent alerts).</summary>
/// <param name="ClaimMs">Reading due work from the outbox.</param>
/// <param name="RenderMs">Rendering messages per language and channel limits.</param>
/// <param name="ProviderMs">Inside the channel's send: the provider or device round trips.</param>
/// <param name="RecordMs">Writing outcomes back to the outbox.</param>
internal sealed record AlertTimings(double ClaimMs, double RenderMs, double ProviderMs, double RecordMs, int Batches);

/// <summary>
/// Collects per-alert delivery timings for load testers ("where did the hub spend its time"). A batch that
/// carries several alerts counts fully for each of them. Bounded: only the most recent alerts are kept.
/// </summary>
internal sealed class DeliveryTimings
{
    private const int MaxAlerts = 1000;
    private readonly ConcurrentDictionary<string, Accumulator> _byAlert = new();
    private readonly ConcurrentQueue<string> _order = new();

    public void Add(IEnumerable<string> alertIds, double claimMs, double renderMs, double providerMs, double recordMs)
    {
        foreach (var id in alertIds.Distinct())
        {
            var acc = _byAlert.GetOrAdd(id, key =>
            {
                _order.Enqueue(key);
                return new Accumulator();
            });
            acc.Add(claimMs, renderMs, providerMs, recordMs);
        }

        while (_order.Count > MaxAlerts && _order.TryDequeue(out var oldest))
        {
            _byAlert.TryRemove(oldest, out _);
        }
    }

    /// <summary>Time spent writing outcomes, without counting a batch (outcomes are written as items complete, several batches at once).</summary>
    public void AddRecording(IEnumerable<string> alertIds, double recordMs)
    {
        foreach (var id in alertIds.Distinct())
        {
            if (_byAlert.TryGetValue(id, out var acc))
            {
                acc.AddRecording(recordMs);
            }
        }
    }

    public AlertTimings? For(string alertId) => _byAlert.TryGetValue(alertId, out var acc) ? acc.Snapshot() : null;

    private sealed class Accumulator
    {
        private readonly Lock _lock = new();
        private double _claim, _render, _provider, _record;
        private int _batches;

        public void Add(double claim, double render, double provider, double record)
        {
            lock (_lock)
            {
                _claim += claim;
                _render += render;
                _provider += provider;
                _record += record;
                _batches++;
            }
        }

        public void AddRecording(double record)
        {
            lock (_lock)
            {
                _record += record;
            }
        }

        public AlertTimings Snapshot()
        {
            lock (_lock)
            {
                return new AlertTimings(Math.Round(_claim, 1), Math.Round(_render, 1), Math.Round(_provider, 1), Math.Round(_record, 1), _batches);
            }
        }
    }
}
