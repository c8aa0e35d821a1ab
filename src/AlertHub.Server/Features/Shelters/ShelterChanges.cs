namespace AlertHub.Server.Features.Shelters;

/// <summary>
/// Says "the shelters changed" to whoever publishes their state elsewhere (Lアラート's 避難所情報), so it need not wait for
/// its next periodic check. Several changes before the listener runs collapse into one wake-up.
/// </summary>
internal sealed class ShelterChanges : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Changed()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the listener reads the whole list anyway.
        }
    }

    /// <summary>Waits for a change or <paramref name="timeout"/>, whichever is first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, cts.Token);
        var signal = _signal.WaitAsync(cts.Token);
        await Task.WhenAny(delay, signal);
        await cts.CancelAsync();
        try
        {
            await Task.WhenAll(delay, signal);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => _signal.Dispose();
}
