using AlertHub.Core.Delivery;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AlertHub.Server.Features.Delivery;

/// <summary>
/// One Polly pipeline per channel around <see cref="IDeliveryChannel.SendAsync"/>: a circuit breaker that opens
/// when batches keep failing (exceptions, or every item transient — the provider is down; absent recipients left out) and a batch timeout
/// as the last guard against a hung provider. There is deliberately no whole-batch retry: some items of a
/// failed batch may already have been delivered, and re-sending the batch would duplicate them. Retries are
/// per item, in the durable outbox, with each item's own outcome — so they also survive restarts.
/// </summary>
internal sealed class ChannelResilience
{
    private readonly Dictionary<string, (ResiliencePipeline<DeliveryReport> Pipeline, CircuitBreakerStateProvider State)> _pipelines = [];

    public ChannelResilience(ChannelRegistry channels, IOptions<DeliveryOptions> options, TimeProvider time)
    {
        var o = options.Value;
        foreach (var name in channels.Names)
        {
            var state = new CircuitBreakerStateProvider();
            var pipeline = new ResiliencePipelineBuilder<DeliveryReport> { TimeProvider = time }
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions<DeliveryReport>
                {
                    ShouldHandle = new PredicateBuilder<DeliveryReport>()
                        .Handle<Exception>(e => e is not OperationCanceledException and not BrokenCircuitException)
                        .HandleResult(AllTransient),
                    FailureRatio = o.BreakerFailureRatio,
                    MinimumThroughput = o.BreakerMinimumThroughput,
                    SamplingDuration = o.BreakerSamplingDuration,
                    BreakDuration = o.BreakerBreakDuration,
                    StateProvider = state,
                })
                .AddTimeout(o.BatchTimeout)
                .Build();
            _pipelines[name] = (pipeline, state);
        }
    }

    public ResiliencePipeline<DeliveryReport> For(string channel) => _pipelines[channel].Pipeline;

    /// <summary>A channel is healthy while its circuit is closed (or probing).</summary>
    public bool IsHealthy(string channel) => _pipelines[channel].State.CircuitState is Polly.CircuitBreaker.CircuitState.Closed or Polly.CircuitBreaker.CircuitState.HalfOpen;

    public string DescribeCircuit(string channel) => _pipelines[channel].State.CircuitState.ToString();

    // Items whose recipient was absent (a closed page) are not the channel failing: a batch of only those counts as a
    // success, else a few alerts to residents whose pages are closed would open the circuit and hold back the live
    // alert of a resident who has the page open.
    private static bool AllTransient(DeliveryReport report)
    {
        var judged = report.Results.Where(r => !r.RecipientAbsent).ToList();
        return judged.Count > 0 && judged.All(r => r.Outcome is DeliveryOutcome.Transient);
    }
}
