namespace AlertHub.Core.Storage;

/// <summary>
/// Tells an engine's passing failures from real errors: the store cannot be reached or written for a while — a
/// failover promoting a standby (read-only for a moment, then "no suitable host"), a restart, connections cut — and the
/// same request is expected to work again in seconds. The API answers those with 503 and Retry-After, never 500.
/// </summary>
internal interface IStoreFaults
{
    /// <summary>True when <paramref name="exception"/> (or one it wraps) is such a passing failure of the store.</summary>
    bool IsUnavailable(Exception exception);
}

/// <summary>For engines that report no passing failures (and for tests): nothing is.</summary>
internal sealed class NoStoreFaults : IStoreFaults
{
    public bool IsUnavailable(Exception exception) => false;
}

/// <summary>The database server a new session reaches, and whether it takes writes (a primary) or not (a standby, or a
/// new primary still being promoted).</summary>
internal sealed record StoreServer(string Address, bool Writable);

/// <summary>Asks the store which server it reaches now (engines with more than one server).</summary>
internal interface IStoreProbe
{
    Task<StoreServer> ProbeAsync(CancellationToken cancellationToken);
}
