using System.Text.Json;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Storage;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

internal sealed record EmailEndpoint(long Id, Guid ResidentId, string Address, string State);

/// <summary>The e-mail channel's reads and writes on <c>resident_endpoints</c> (confirmation, link lookup).</summary>
internal sealed class EmailEndpointStore(Database database)
{
    public async Task<EmailEndpoint?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, resident_id, address, state FROM resident_endpoints WHERE id = $id AND channel = $channel";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$channel", EmailChannel.ChannelName);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>The residents' e-mail endpoints in the given state (pending ones for confirmation mails, active ones for links).</summary>
    public async Task<IReadOnlyList<EmailEndpoint>> ForResidentsAsync(IReadOnlyCollection<Guid> residentIds, string state, CancellationToken cancellationToken)
    {
        var list = new List<EmailEndpoint>();
        if (residentIds.Count == 0)
        {
            return list;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT id, resident_id, address, state FROM resident_endpoints
            WHERE channel = $channel AND state = $state AND resident_id IN (SELECT value FROM json_each($ids))
            """;
        cmd.Parameters.AddWithValue("$channel", EmailChannel.ChannelName);
        cmd.Parameters.AddWithValue("$state", state);
        cmd.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(residentIds.Select(id => id.ToString())));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>pending → active; returns false if the endpoint was not pending (already active, gone or deleted).</summary>
    public async Task<bool> ActivateAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE resident_endpoints SET state = $active WHERE id = $id AND channel = $channel AND state = $pending";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$channel", EmailChannel.ChannelName);
        cmd.Parameters.AddWithValue("$active", EndpointStates.Active);
        cmd.Parameters.AddWithValue("$pending", EndpointStates.Pending);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private static EmailEndpoint Read(Microsoft.Data.Sqlite.SqliteDataReader reader) =>
        new(reader.GetInt64(0), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3));
}
