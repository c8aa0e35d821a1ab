using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>Claimed work's addresses from the <c>residents</c> and <c>resident_endpoints</c> tables, in one statement per batch.</summary>
internal sealed class SqliteDeliveryAddresses(Database database) : IDeliveryAddresses
{
    public async Task<IReadOnlyList<(DeliveryAddress? Endpoint, string? Language)>> LookUpAsync(string channel, IReadOnlyList<Guid> residents,
        CancellationToken cancellationToken)
    {
        var found = new (DeliveryAddress?, string?)[residents.Count];
        if (residents.Count == 0)
        {
            return found;
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
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var endpoint = reader.IsDBNull(1) ? null : new DeliveryAddress(reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4));
            found[reader.GetInt32(0)] = (endpoint, reader.IsDBNull(5) ? null : reader.GetString(5));
        }

        return found;
    }
}
