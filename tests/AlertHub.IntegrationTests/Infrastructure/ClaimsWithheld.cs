using System.Reflection;
using AlertHub.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlertHub.IntegrationTests.Infrastructure;

/// <summary>
/// A node whose delivery workers never claim work on one channel: its outbox store answers that channel's claims with
/// nothing and passes every other call to the real store. A cluster test uses it to decide which node sends, where
/// otherwise whichever node wakes first would (e.g. a node that holds a resident's connection and so sends directly,
/// when the test is about another node reaching that resident through Redis). The node still serves its hubs and API.
/// </summary>
// Not sealed: DispatchProxy generates a subclass of it.
#pragma warning disable CA1852
internal class ClaimsWithheld : DispatchProxy
#pragma warning restore CA1852
{
    private IOutboxStore _store = null!;
    private string _channel = "";

    /// <summary>Services for a node that claims nothing on <paramref name="channel"/>.</summary>
    public static Action<IServiceCollection> On(string channel) => services =>
    {
        // The engine's store is the last registration (the PostgreSQL engine replaces SQLite's).
        var real = services.Last(d => d.ServiceType == typeof(IOutboxStore));
        var implementation = real.ImplementationType
            ?? throw new InvalidOperationException("the outbox store is expected to be registered by its type");
        services.RemoveAll<IOutboxStore>();
        services.AddSingleton(sp =>
        {
            var proxy = Create<IOutboxStore, ClaimsWithheld>();
            var withheld = (ClaimsWithheld)(object)proxy;
            withheld._store = (IOutboxStore)ActivatorUtilities.CreateInstance(sp, implementation);
            withheld._channel = channel;
            return proxy;
        });
    };

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Name == nameof(IOutboxStore.ClaimDueAsync) && args is [string channel, ..] && channel == _channel)
        {
            return Task.FromResult<IReadOnlyList<ClaimedWork>>([]);
        }

        try
        {
            return method.Invoke(_store, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
