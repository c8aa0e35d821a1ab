using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>Claimed work's addresses from the <c>residents</c> and <c>resident_endpoints</c> tables, in one statement per batch.</summary>
internal sealed class SqliteDeliveryAddresses(Database database) : IDeliveryAddresses
{
    public async Task<IReadOnlyList<(DeliveryAddress? Endpoint, string? Language)>> LookUpAsync(string channel, IReadOnlyList<Guid> residents,
        CancellationToken cancellationToken)
    {
        if (residents.Count == 0)
        {
            return [];
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT j.key, e.id, e.address, e.secret, e.state, r.language
            FROM json_each($residents) j
            LEFT JOIN residents r ON r.id = j.value
            LEFT JOIN resident_endpoints e ON e.id = (
                SELECT MAX(x.id) FROM resident_endpoints x WHERE x.resident_id = j.value AND x.channel = $c AND x.state = 'active')
            """;
        cmd.Parameters.AddWithValue("$residents", SqliteOutboxStore.MembersJson(residents));
        cmd.Parameters.AddWithValue("$c", channel);
        return await DeliveryAddressRows.ReadAsync(cmd, residents.Count, cancellationToken);
    }
}
