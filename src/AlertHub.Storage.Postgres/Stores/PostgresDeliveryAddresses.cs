using AlertHub.Core.Storage;
using Npgsql;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>Claimed work's addresses from the <c>residents</c> and <c>resident_endpoints</c> tables, in one statement per batch.</summary>
internal sealed class PostgresDeliveryAddresses(NpgsqlDataSource dataSource) : IDeliveryAddresses
{
    public async Task<IReadOnlyList<(DeliveryAddress? Endpoint, string? Language)>> LookUpAsync(string channel, IReadOnlyList<Guid> residents,
        CancellationToken cancellationToken)
    {
        if (residents.Count == 0)
        {
            return [];
        }

        await using var cmd = dataSource.CreateCommand("""
            SELECT (k.ord - 1)::integer, e.id, e.address, e.secret, e.state, r.language
            FROM unnest(@residents) WITH ORDINALITY AS k(resident, ord)
            LEFT JOIN residents r ON r.id = k.resident
            LEFT JOIN LATERAL (
                SELECT x.id, x.address, x.secret, x.state FROM resident_endpoints x
                WHERE x.resident_id = k.resident AND x.channel = @c AND x.state = 'active' ORDER BY x.id DESC LIMIT 1) e ON true
            """);
        cmd.Parameters.AddWithValue("residents", residents as Guid[] ?? [.. residents]);
        cmd.Parameters.AddWithValue("c", channel);
        return await DeliveryAddressRows.ReadAsync(cmd, residents.Count, cancellationToken);
    }
}
