using AlertHub.Storage.Postgres;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>Which PostgreSQL failures are a failover's passing states (503 and Retry-After) and which are real errors (500, or the feature's own answer).</summary>
public sealed class PostgresStoreFaultsTests
{
    private static readonly PostgresStoreFaults Faults = new();

    private static PostgresException Server(string sqlState) => new("message", "ERROR", "ERROR", sqlState);

    [Theory]
    [InlineData(PostgresErrorCodes.ReadOnlySqlTransaction)]
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    [InlineData(PostgresErrorCodes.CannotConnectNow)]
    [InlineData(PostgresErrorCodes.TooManyConnections)]
    [InlineData(PostgresErrorCodes.ConnectionFailure)]
    public void ServerStatesOfAFailoverOrRestart_AreUnavailable(string sqlState) => Assert.True(Faults.IsUnavailable(Server(sqlState)));

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.SyntaxError)]
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    public void RealErrors_AreNot(string sqlState) => Assert.False(Faults.IsUnavailable(Server(sqlState)));

    [Fact]
    public void ABrokenConnection_AndOneWrappedByTheCaller_AreUnavailable()
    {
        var broken = new NpgsqlException("Exception while reading from stream", new IOException("connection reset"));
        Assert.True(broken.IsTransient);
        Assert.True(Faults.IsUnavailable(broken));
        Assert.True(Faults.IsUnavailable(new InvalidOperationException("wrapped", Server(PostgresErrorCodes.ReadOnlySqlTransaction))));
    }

    /// <summary>
    /// What Npgsql itself throws with a multi-host connection string while no host takes connections (every host of a
    /// failing-over formation down or not primary): first "Unable to connect to a suitable host" around each host's failure,
    /// then, until <c>Host Recheck Seconds</c> have passed, "No suitable host was found." without trying any and without an
    /// inner exception. Both are the failover's passing state.
    /// </summary>
    [Fact]
    public async Task MultiHost_NoHostTakingConnections_IsUnavailable_BothTheFirstFailureAndTheRecheckWindow()
    {
        await using var dataSource = NpgsqlDataSource.Create(
            $"Host=127.0.0.1:{ClosedPort()},127.0.0.1:{ClosedPort()};Username=postgres;Target Session Attributes=primary;Timeout=2;Host Recheck Seconds=60");
        var first = await Assert.ThrowsAsync<NpgsqlException>(async () => await dataSource.OpenConnectionAsync());
        var recheck = await Assert.ThrowsAsync<NpgsqlException>(async () => await dataSource.OpenConnectionAsync());

        Assert.Equal("No suitable host was found.", recheck.Message);
        Assert.False(recheck.IsTransient);
        Assert.True(Faults.IsUnavailable(first));
        Assert.True(Faults.IsUnavailable(recheck));
        Assert.True(Faults.IsUnavailable(new InvalidOperationException("wrapped", recheck)));
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public void OtherExceptions_AreNot()
    {
        Assert.False(Faults.IsUnavailable(new InvalidOperationException("a bug")));
        Assert.False(Faults.IsUnavailable(new NpgsqlException("not transient")));
    }
}
