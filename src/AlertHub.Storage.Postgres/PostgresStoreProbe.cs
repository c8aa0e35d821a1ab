using AlertHub.Core.Storage;
using Npgsql;

namespace AlertHub.Storage.Postgres;

/// <summary>The server a pooled session reaches (with a multi-host connection string, the primary Npgsql found) and
/// whether it is read-only.</summary>
internal sealed class PostgresStoreProbe(NpgsqlDataSource dataSource) : IStoreProbe
{
    public async Task<StoreServer> ProbeAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port(), 0), current_setting('transaction_read_only') = 'off'");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new StoreServer(reader.GetString(0), reader.GetBoolean(1));
    }
}
