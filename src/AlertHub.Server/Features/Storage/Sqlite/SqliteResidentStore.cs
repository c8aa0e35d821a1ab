using System.Runtime.CompilerServices;
using System.Text.Json;
using AlertHub.Core.Storage;
using AlertHub.Core.Targeting;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>
/// <c>residents</c>, <c>resident_places</c>, <c>resident_endpoints</c> and <c>resident_locations</c> in the embedded SQLite
/// store: ids as text, tag lists as JSON text, instants as ISO 8601 text.
/// </summary>
internal sealed class SqliteResidentStore(Database database) : IResidentStore
{
    private const string InsertPlaceSql = "INSERT INTO resident_places(resident_id, idx, label, lat, lon) VALUES ($id, $idx, $label, $lat, $lon)";

    private const string InsertEndpointSql =
        "INSERT INTO resident_endpoints(resident_id, channel, address, secret, state, created_at) VALUES ($id, $channel, $address, $secret, $state, $now)";

    /// <summary>One transaction with prepared statements: the bulk import's 5,000-resident chunks.</summary>
    public async Task InsertAsync(IReadOnlyList<NewResident> residents, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var now = at.ToString("O");
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var insertResident = Command(connection, tx,
            "INSERT INTO residents(id, token_hash, external_id, household_tags, language, tags, created_at, updated_at) VALUES ($id, $hash, $ext, $ht, $lang, $tags, $now, $now)",
            "$id", "$hash", "$ext", "$ht", "$lang", "$tags", "$now");
        await using var insertPlace = Command(connection, tx, InsertPlaceSql, "$id", "$idx", "$label", "$lat", "$lon");
        await using var insertEndpoint = Command(connection, tx, InsertEndpointSql, "$id", "$channel", "$address", "$secret", "$state", "$now");
        foreach (var r in residents)
        {
            Set(insertResident, r.Id.ToString(), r.TokenHash, r.ExternalId, JsonSerializer.Serialize(r.HouseholdTags), r.Language, JsonSerializer.Serialize(r.Tags), now);
            await insertResident.ExecuteNonQueryAsync(cancellationToken);
            await InsertChildrenAsync(insertPlace, insertEndpoint, r.Id, r.Places, r.Endpoints, now, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<bool> ReplaceAsync(Guid id, ResidentChange change, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var now = at.ToString("O");
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var update = Command(connection, tx,
            "UPDATE residents SET external_id = $ext, household_tags = $ht, language = $lang, tags = $tags, updated_at = $now WHERE id = $id",
            "$id", "$ext", "$ht", "$lang", "$tags", "$now");
        Set(update, id.ToString(), change.ExternalId, JsonSerializer.Serialize(change.HouseholdTags), change.Language, JsonSerializer.Serialize(change.Tags), now);
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        var confirmed = new HashSet<(string, string)>();
        await using (var active = Command(connection, tx, "SELECT channel, address FROM resident_endpoints WHERE resident_id = $id AND state = 'active'", "$id"))
        {
            Set(active, id.ToString());
            await using var reader = await active.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                confirmed.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        await using (var clear = Command(connection, tx, "DELETE FROM resident_places WHERE resident_id = $id; DELETE FROM resident_endpoints WHERE resident_id = $id", "$id"))
        {
            Set(clear, id.ToString());
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var insertPlace = Command(connection, tx, InsertPlaceSql, "$id", "$idx", "$label", "$lat", "$lon");
        await using var insertEndpoint = Command(connection, tx, InsertEndpointSql, "$id", "$channel", "$address", "$secret", "$state", "$now");
        await InsertChildrenAsync(insertPlace, insertEndpoint, id, change.Places, ResidentEndpointRules.KeepConfirmed(change.Endpoints, confirmed), now, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> DeleteAsync(IStoreTransaction transaction, Guid id, CancellationToken cancellationToken)
    {
        await using var delete = SqliteStoreTransaction.Of(transaction).Command("DELETE FROM residents WHERE id = $id");
        delete.Parameters.AddWithValue("$id", id.ToString());
        return await delete.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<byte[]?> TokenHashAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT token_hash FROM residents WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id.ToString());
        return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task<StoredResident?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT external_id, household_tags, language, tags FROM residents WHERE id = $id;
            SELECT label, lat, lon FROM resident_places WHERE resident_id = $id ORDER BY idx;
            SELECT {ResidentRows.EndpointColumns} FROM resident_endpoints WHERE resident_id = $id ORDER BY id;
            SELECT {ResidentRows.LocationColumns} FROM resident_locations WHERE resident_id = $id;
            """;
        cmd.Parameters.AddWithValue("$id", id.ToString());
        return await ResidentRows.StoredAsync(cmd, id, cancellationToken);
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM residents";
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async IAsyncEnumerable<ResidentProfile> ReadProfilesAsync(IReadOnlyCollection<Guid>? only, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var filter = "";
        if (only is not null)
        {
            await using var temp = connection.CreateCommand();
            temp.CommandText = "CREATE TEMP TABLE IF NOT EXISTS wanted(id TEXT PRIMARY KEY); DELETE FROM wanted;";
            await temp.ExecuteNonQueryAsync(cancellationToken);
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var insert = Command(connection, tx, "INSERT OR IGNORE INTO wanted(id) VALUES ($id)", "$id");
            foreach (var id in only)
            {
                Set(insert, id.ToString());
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            filter = " WHERE r.id IN (SELECT id FROM wanted)";
        }

        // Three ordered scans merged by id keep memory flat for a million residents.
        await using var residents = connection.CreateCommand();
        residents.CommandText = "SELECT r.id, r.household_tags, r.language, r.tags FROM residents r" + filter + " ORDER BY r.id";
        await using var places = connection.CreateCommand();
        places.CommandText = "SELECT p.resident_id, p.lat, p.lon, p.label FROM resident_places p" + filter.Replace("r.id", "p.resident_id", StringComparison.Ordinal) + " ORDER BY p.resident_id, p.idx";
        await using var endpoints = connection.CreateCommand();
        endpoints.CommandText = "SELECT DISTINCT e.resident_id, e.channel FROM resident_endpoints e WHERE e.state = 'active'"
            + filter.Replace(" WHERE r.id", " AND e.resident_id", StringComparison.Ordinal) + " ORDER BY e.resident_id";
        await using var rr = await residents.ExecuteReaderAsync(cancellationToken);
        await using var pr = await places.ExecuteReaderAsync(cancellationToken);
        await using var er = await endpoints.ExecuteReaderAsync(cancellationToken);
        var placeRow = await pr.ReadAsync(cancellationToken);
        var endpointRow = await er.ReadAsync(cancellationToken);
        while (await rr.ReadAsync(cancellationToken))
        {
            var id = rr.GetString(0);
            var residentPlaces = new List<ResidentPlace>(2);
            while (placeRow && string.CompareOrdinal(pr.GetString(0), id) <= 0)
            {
                if (pr.GetString(0) == id)
                {
                    residentPlaces.Add(new ResidentPlace(pr.GetDouble(1), pr.GetDouble(2), pr.IsDBNull(3) ? null : pr.GetString(3)));
                }

                placeRow = await pr.ReadAsync(cancellationToken);
            }

            var channels = new List<string>(2);
            while (endpointRow && string.CompareOrdinal(er.GetString(0), id) <= 0)
            {
                if (er.GetString(0) == id)
                {
                    channels.Add(er.GetString(1));
                }

                endpointRow = await er.ReadAsync(cancellationToken);
            }

            yield return new ResidentProfile(Guid.Parse(id), Tags(rr.GetString(1)), rr.IsDBNull(2) ? null : rr.GetString(2), Tags(rr.GetString(3)),
                residentPlaces, channels);
        }
    }

    public async Task<bool> SetLocationAsync(ResidentLocation location, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO resident_locations(resident_id, lat, lon, expires_at) VALUES ($id, $lat, $lon, $exp)
            ON CONFLICT(resident_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, expires_at = excluded.expires_at
            """;
        cmd.Parameters.AddWithValue("$id", location.ResidentId.ToString());
        cmd.Parameters.AddWithValue("$lat", location.Lat);
        cmd.Parameters.AddWithValue("$lon", location.Lon);
        // UTC text, so that the text comparison in ReadLiveLocationsAsync orders instants.
        cmd.Parameters.AddWithValue("$exp", location.ExpiresAt.ToUniversalTime().ToString("O"));
        try
        {
            return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == 787)
        {
            return false; // foreign key: the resident was deleted meanwhile
        }
    }

    public async Task ClearLocationAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM resident_locations WHERE resident_id = $id";
        cmd.Parameters.AddWithValue("$id", id.ToString());
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ResidentLocation>> ReadLiveLocationsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {ResidentRows.LocationColumns} FROM resident_locations WHERE expires_at > $now";
        cmd.Parameters.AddWithValue("$now", now.ToUniversalTime().ToString("O"));
        return await cmd.ListAsync(ResidentRows.Location, cancellationToken);
    }

    public async Task<StoredPlace?> HomeAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT label, lat, lon FROM resident_places WHERE resident_id = $r ORDER BY idx LIMIT 1";
        cmd.Parameters.AddWithValue("$r", id.ToString());
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken) ? new StoredPlace(r.IsDBNull(0) ? null : r.GetString(0), r.GetDouble(1), r.GetDouble(2)) : null;
    }

    public async Task<bool> UpdateProfileAsync(Guid id, IReadOnlyList<string>? householdTags, bool setLanguage, string? language, StoredPlace? place,
        DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var update = connection.CreateCommand();
        update.Transaction = tx;
        var sets = new List<string> { "updated_at = $now" };
        update.Parameters.AddWithValue("$now", at.ToString("O"));
        update.Parameters.AddWithValue("$id", id.ToString());
        if (householdTags is not null)
        {
            sets.Add("household_tags = $ht");
            update.Parameters.AddWithValue("$ht", JsonSerializer.Serialize(householdTags));
        }

        if (setLanguage)
        {
            sets.Add("language = $lang");
            update.Parameters.AddWithValue("$lang", (object?)language ?? DBNull.Value);
        }

        update.CommandText = $"UPDATE residents SET {string.Join(", ", sets)} WHERE id = $id";
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        if (place is not null)
        {
            await using var places = connection.CreateCommand();
            places.Transaction = tx;
            places.CommandText = """
                DELETE FROM resident_places WHERE resident_id = $id;
                INSERT INTO resident_places(resident_id, idx, label, lat, lon) VALUES ($id, 0, $label, $lat, $lon);
                """;
            places.Parameters.AddWithValue("$id", id.ToString());
            places.Parameters.AddWithValue("$label", (object?)place.Label ?? DBNull.Value);
            places.Parameters.AddWithValue("$lat", place.Lat);
            places.Parameters.AddWithValue("$lon", place.Lon);
            await places.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<long?> AddEndpointAsync(Guid residentId, NewEndpoint endpoint, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var exists = connection.CreateCommand();
        exists.Transaction = tx;
        exists.CommandText = "SELECT EXISTS(SELECT 1 FROM residents WHERE id = $id)";
        exists.Parameters.AddWithValue("$id", residentId.ToString());
        if ((long)(await exists.ExecuteScalarAsync(cancellationToken))! == 0)
        {
            return null;
        }

        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT INTO resident_endpoints(resident_id, channel, address, secret, state, created_at)
            SELECT $id, $channel, $address, $secret, $state, $now
            WHERE NOT EXISTS (SELECT 1 FROM resident_endpoints WHERE resident_id = $id AND channel = $channel AND address = $address AND state = 'active');
            SELECT id FROM resident_endpoints WHERE resident_id = $id AND channel = $channel AND address = $address ORDER BY id DESC LIMIT 1;
            """;
        insert.Parameters.AddWithValue("$id", residentId.ToString());
        insert.Parameters.AddWithValue("$channel", endpoint.Channel);
        insert.Parameters.AddWithValue("$address", endpoint.Address);
        insert.Parameters.AddWithValue("$secret", (object?)endpoint.Secret ?? DBNull.Value);
        insert.Parameters.AddWithValue("$state", endpoint.State);
        insert.Parameters.AddWithValue("$now", at.ToString("O"));
        var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        await tx.CommitAsync(cancellationToken);
        return id;
    }

    public async Task<ResidentEndpoint?> FindEndpointAsync(long endpointId, string channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {ResidentRows.EndpointColumns} FROM resident_endpoints WHERE id = $id AND channel = $channel";
        cmd.Parameters.AddWithValue("$id", endpointId);
        cmd.Parameters.AddWithValue("$channel", channel);
        return await cmd.FirstOrDefaultAsync(ResidentRows.Endpoint, cancellationToken);
    }

    public async Task<IReadOnlyList<ResidentEndpoint>> EndpointsOfAsync(IReadOnlyCollection<Guid> residentIds, string channel, string state,
        CancellationToken cancellationToken)
    {
        if (residentIds.Count == 0)
        {
            return [];
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT {ResidentRows.EndpointColumns} FROM resident_endpoints
            WHERE channel = $channel AND state = $state AND resident_id IN (SELECT value FROM json_each($ids))
            """;
        cmd.Parameters.AddWithValue("$channel", channel);
        cmd.Parameters.AddWithValue("$state", state);
        cmd.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(residentIds.Select(id => id.ToString())));
        return await cmd.ListAsync(ResidentRows.Endpoint, cancellationToken);
    }

    public async Task<bool> HasActiveEndpointAsync(Guid residentId, string channel, string address, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM resident_endpoints WHERE resident_id = $r AND channel = $c AND address = $a AND state = 'active')";
        cmd.Parameters.AddWithValue("$r", residentId.ToString());
        cmd.Parameters.AddWithValue("$c", channel);
        cmd.Parameters.AddWithValue("$a", address);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    public async Task<Guid?> FindByAddressAsync(string channel, string address, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT resident_id FROM resident_endpoints WHERE channel = $channel AND address = $address
            ORDER BY state = 'active' DESC, id DESC LIMIT 1
            """;
        cmd.Parameters.AddWithValue("$channel", channel);
        cmd.Parameters.AddWithValue("$address", address);
        return await cmd.ExecuteScalarAsync(cancellationToken) is string s ? Guid.Parse(s) : null;
    }

    public async Task<IReadOnlyList<Guid>> SetAddressStateAsync(string channel, string address, string state, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE resident_endpoints SET state = $state WHERE channel = $channel AND address = $address RETURNING resident_id";
        cmd.Parameters.AddWithValue("$state", state);
        cmd.Parameters.AddWithValue("$channel", channel);
        cmd.Parameters.AddWithValue("$address", address);
        return [.. (await cmd.ListAsync(reader => reader.Uuid(0), cancellationToken)).Distinct()];
    }

    public async Task<bool> ActivateEndpointAsync(long endpointId, string channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE resident_endpoints SET state = 'active' WHERE id = $id AND channel = $channel AND state = 'pending'";
        cmd.Parameters.AddWithValue("$id", endpointId);
        cmd.Parameters.AddWithValue("$channel", channel);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<Guid?> PruneEndpointAsync(long endpointId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE resident_endpoints SET state = 'gone' WHERE id = $id RETURNING resident_id";
        cmd.Parameters.AddWithValue("$id", endpointId);
        return await cmd.ExecuteScalarAsync(cancellationToken) is string s ? Guid.Parse(s) : null;
    }

    private static string[] Tags(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];

    private static async Task InsertChildrenAsync(SqliteCommand insertPlace, SqliteCommand insertEndpoint, Guid id, IReadOnlyList<StoredPlace> places,
        IReadOnlyList<NewEndpoint> endpoints, string now, CancellationToken cancellationToken)
    {
        for (var i = 0; i < places.Count; i++)
        {
            var p = places[i];
            Set(insertPlace, id.ToString(), i, p.Label, p.Lat, p.Lon);
            await insertPlace.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var e in endpoints)
        {
            Set(insertEndpoint, id.ToString(), e.Channel, e.Address, e.Secret, e.State, now);
            await insertEndpoint.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction tx, string sql, params string[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var name in parameters)
        {
            cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return cmd;
    }

    private static void Set(SqliteCommand cmd, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}
