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

    [Fact]
    public void OtherExceptions_AreNot()
    {
        Assert.False(Faults.IsUnavailable(new InvalidOperationException("a bug")));
        Assert.False(Faults.IsUnavailable(new NpgsqlException("not transient")));
    }
}
