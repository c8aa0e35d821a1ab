using AlertHub.Core.Storage;
using Npgsql;

namespace AlertHub.Storage.Postgres;

/// <summary>
/// PostgreSQL's passing failures, as a failover or a restart shows them (measured with pg_auto_failover and Npgsql 10,
/// ../shared/reference/cluster.md): the new primary is read-only for a moment (25006), the old one shuts down or is
/// starting up (57P01–57P03), connections break or cannot be made (class 08, "No suitable host was found", timeouts), or
/// the server has no connection slot left (53300). Npgsql marks most of these transient; the states are listed too, so a
/// server answer that Npgsql does not call transient still counts.
/// </summary>
internal sealed class PostgresStoreFaults : IStoreFaults
{
    private static readonly HashSet<string> PassingStates =
    [
        PostgresErrorCodes.ReadOnlySqlTransaction,  // 25006: a standby being promoted, or still a standby
        PostgresErrorCodes.AdminShutdown,           // 57P01
        PostgresErrorCodes.CrashShutdown,           // 57P02
        PostgresErrorCodes.CannotConnectNow,        // 57P03: starting up or shutting down
        PostgresErrorCodes.TooManyConnections,      // 53300
    ];

    public bool IsUnavailable(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException p when PassingStates.Contains(p.SqlState) || p.SqlState.StartsWith("08", StringComparison.Ordinal):
                    return true;
                case PostgresException:
                    return false; // the server answered with a real error (a constraint, a bad query)
                case NpgsqlException n when n.IsTransient || IsNoSuitableHost(n):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A multi-host connection string (<c>Target Session Attributes=primary</c>) while no host is primary: for
    /// <c>Host Recheck Seconds</c> after every host failed, Npgsql answers without trying any, with this message, no inner
    /// exception and <see cref="NpgsqlException.IsTransient"/> false; the failover measured here answered it for seconds.
    /// (When it did try them, the failures are the inner exceptions, which the walk above classifies.)
    /// </summary>
    private static bool IsNoSuitableHost(NpgsqlException e) =>
        e.InnerException is null && e.GetType() == typeof(NpgsqlException)
        && string.Equals(e.Message, "No suitable host was found.", StringComparison.Ordinal);
}
