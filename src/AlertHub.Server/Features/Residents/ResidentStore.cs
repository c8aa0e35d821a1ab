using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AlertHub.Core.Targeting;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Residents;

/// <summary>Residents, their places, endpoints and live locations in SQLite.</summary>
internal sealed class ResidentStore(Database database, IEnumerable<IResidentRecords> records, TimeProvider time)
{
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Inserts residents in one transaction with prepared statements (the bulk import calls this per chunk).</summary>
    public async Task<IReadOnlyList<RegisteredResident>> InsertAsync(IReadOnlyList<ValidResident> residents, CancellationToken cancellationToken)
    {
        var result = new List<RegisteredResident>(residents.Count);
        var now = time.GetUtcNow().ToString("O");
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var insertResident = Command(connection, tx,
            "INSERT INTO residents(id, token_hash, external_id, household_tags, language, tags, created_at, updated_at) VALUES ($id, $hash, $ext, $ht, $lang, $tags, $now, $now)",
            "$id", "$hash", "$ext", "$ht", "$lang", "$tags", "$now");
        var insertPlace = Command(connection, tx, "INSERT INTO resident_places(resident_id, idx, label, lat, lon) VALUES ($id, $idx, $label, $lat, $lon)",
            "$id", "$idx", "$label", "$lat", "$lon");
        var insertEndpoint = Command(connection, tx,
            "INSERT INTO resident_endpoints(resident_id, channel, address, secret, state, created_at) VALUES ($id, $channel, $address, $secret, $state, $now)",
            "$id", "$channel", "$address", "$secret", "$state", "$now");
        foreach (var r in residents)
        {
            var id = Guid.NewGuid();
            var token = NewToken();
            Set(insertResident, id.ToString(), HashToken(token), r.ExternalId, JsonSerializer.Serialize(r.HouseholdTags), r.Language, JsonSerializer.Serialize(r.Tags), now);
            await insertResident.ExecuteNonQueryAsync(cancellationToken);
            await InsertChildrenAsync(insertPlace, insertEndpoint, id, r, now, cancellationToken);
            result.Add(new RegisteredResident(id, token));
        }

        await tx.CommitAsync(cancellationToken);
        return result;
    }

    public async Task<bool> ReplaceAsync(Guid id, ValidResident r, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToString("O");
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var update = Command(connection, tx,
            "UPDATE residents SET external_id = $ext, household_tags = $ht, language = $lang, tags = $tags, updated_at = $now WHERE id = $id",
            "$id", "$ext", "$ht", "$lang", "$tags", "$now");
        Set(update, id.ToString(), r.ExternalId, JsonSerializer.Serialize(r.HouseholdTags), r.Language, JsonSerializer.Serialize(r.Tags), now);
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        // An address the owner already confirmed stays active when the resident re-sends it unchanged.
        var confirmed = new HashSet<(string, string)>();
        var active = Command(connection, tx, "SELECT channel, address FROM resident_endpoints WHERE resident_id = $id AND state = 'active'", "$id");
        Set(active, id.ToString());
        await using (var reader = await active.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                confirmed.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        r = r with
        {
            Endpoints = [.. r.Endpoints.Select(e => e.State == EndpointStates.Pending && confirmed.Contains((e.Channel, e.Address)) ? e with { State = EndpointStates.Active } : e)],
        };
        var clear = Command(connection, tx, "DELETE FROM resident_places WHERE resident_id = $id; DELETE FROM resident_endpoints WHERE resident_id = $id", "$id");
        Set(clear, id.ToString());
        await clear.ExecuteNonQueryAsync(cancellationToken);
        var insertPlace = Command(connection, tx, "INSERT INTO resident_places(resident_id, idx, label, lat, lon) VALUES ($id, $idx, $label, $lat, $lon)",
            "$id", "$idx", "$label", "$lat", "$lon");
        var insertEndpoint = Command(connection, tx,
            "INSERT INTO resident_endpoints(resident_id, channel, address, secret, state, created_at) VALUES ($id, $channel, $address, $secret, $state, $now)",
            "$id", "$channel", "$address", "$secret", "$state", "$now");
        await InsertChildrenAsync(insertPlace, insertEndpoint, id, r, now, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The right to be forgotten: the resident, places, endpoints, location and their delivery rows.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var tx = await SqliteStoreTransaction.BeginAsync(database, cancellationToken);
        foreach (var holder in records)
        {
            await holder.ForgetResidentAsync(tx, id, cancellationToken);
        }

        var delete = Command(tx.Connection, tx.Transaction, "DELETE FROM residents WHERE id = $id", "$id");
        Set(delete, id.ToString());
        var deleted = await delete.ExecuteNonQueryAsync(cancellationToken) > 0;
        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task<bool> VerifyTokenAsync(Guid id, string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT token_hash FROM residents WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id.ToString());
        return await cmd.ExecuteScalarAsync(cancellationToken) is byte[] stored && CryptographicOperations.FixedTimeEquals(stored, HashToken(token));
    }

    public async Task<ResidentView?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT external_id, household_tags, language, tags FROM residents WHERE id = $id;
            SELECT label, lat, lon FROM resident_places WHERE resident_id = $id ORDER BY idx;
            SELECT id, channel, address, state FROM resident_endpoints WHERE resident_id = $id ORDER BY id;
            SELECT lat, lon, expires_at FROM resident_locations WHERE resident_id = $id;
            """;
        cmd.Parameters.AddWithValue("$id", id.ToString());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var attributes = new ResidentAttributesDto(
            JsonSerializer.Deserialize<string[]>(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2), JsonSerializer.Deserialize<string[]>(reader.GetString(3)));
        var externalId = reader.IsDBNull(0) ? null : reader.GetString(0);
        await reader.NextResultAsync(cancellationToken);
        var places = new List<PlaceDto>();
        while (await reader.ReadAsync(cancellationToken))
        {
            places.Add(new PlaceDto(reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetDouble(1), reader.GetDouble(2)));
        }

        await reader.NextResultAsync(cancellationToken);
        var endpoints = new List<EndpointView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            // Secrets never leave the hub.
            endpoints.Add(new EndpointView(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        await reader.NextResultAsync(cancellationToken);
        LocationView? location = null;
        if (await reader.ReadAsync(cancellationToken))
        {
            location = new LocationView(reader.GetDouble(0), reader.GetDouble(1), DateTimeOffset.Parse(reader.GetString(2)));
        }

        return new ResidentView(id, externalId, attributes, places, endpoints, location);
    }

    public async Task<bool> SetLocationAsync(Guid id, double lat, double lon, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO resident_locations(resident_id, lat, lon, expires_at) VALUES ($id, $lat, $lon, $exp)
            ON CONFLICT(resident_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, expires_at = excluded.expires_at
            """;
        cmd.Parameters.AddWithValue("$id", id.ToString());
        cmd.Parameters.AddWithValue("$lat", lat);
        cmd.Parameters.AddWithValue("$lon", lon);
        cmd.Parameters.AddWithValue("$exp", expiresAt.ToString("O"));
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

    /// <summary>
    /// Adds one active endpoint to an existing resident (staff entering a household's phone number), unless the resident
    /// already has that address on that channel. Returns the endpoint id, or null when there is no such resident.
    /// </summary>
    public async Task<long?> AddEndpointAsync(Guid residentId, ValidEndpoint endpoint, CancellationToken cancellationToken)
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
        insert.Parameters.AddWithValue("$now", time.GetUtcNow().ToString("O"));
        var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        await tx.CommitAsync(cancellationToken);
        return id;
    }

    /// <summary>Marks an endpoint gone (the provider said the address no longer exists) and returns its resident.</summary>
    public async Task<Guid?> PruneEndpointAsync(long endpointId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE resident_endpoints SET state = 'gone' WHERE id = $id RETURNING resident_id";
        cmd.Parameters.AddWithValue("$id", endpointId);
        return await cmd.ExecuteScalarAsync(cancellationToken) is string s ? Guid.Parse(s) : null;
    }

    /// <summary>Reads residents as the targeting engine needs them (all, or a given set).</summary>
    public async IAsyncEnumerable<ResidentProfile> ReadProfilesAsync(IReadOnlyCollection<Guid>? only, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var filter = "";
        if (only is not null)
        {
            await using var temp = connection.CreateCommand();
            temp.CommandText = "CREATE TEMP TABLE IF NOT EXISTS wanted(id TEXT PRIMARY KEY); DELETE FROM wanted;";
            await temp.ExecuteNonQueryAsync(cancellationToken);
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            var insert = Command(connection, tx, "INSERT OR IGNORE INTO wanted(id) VALUES ($id)", "$id");
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

            yield return new ResidentProfile(Guid.Parse(id), JsonSerializer.Deserialize<string[]>(rr.GetString(1))!,
                rr.IsDBNull(2) ? null : rr.GetString(2), JsonSerializer.Deserialize<string[]>(rr.GetString(3))!, residentPlaces, channels);
        }
    }

    public async Task<IReadOnlyList<(Guid Id, double Lat, double Lon, DateTimeOffset ExpiresAt)>> ReadLiveLocationsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT resident_id, lat, lon, expires_at FROM resident_locations WHERE expires_at > $now";
        cmd.Parameters.AddWithValue("$now", time.GetUtcNow().ToString("O"));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<(Guid, double, double, DateTimeOffset)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((Guid.Parse(reader.GetString(0)), reader.GetDouble(1), reader.GetDouble(2), DateTimeOffset.Parse(reader.GetString(3))));
        }

        return list;
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM residents";
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task InsertChildrenAsync(SqliteCommand insertPlace, SqliteCommand insertEndpoint, Guid id, ValidResident r, string now, CancellationToken cancellationToken)
    {
        for (var i = 0; i < r.Places.Count; i++)
        {
            var p = r.Places[i];
            Set(insertPlace, id.ToString(), i, p.Label, p.Lat, p.Lon);
            await insertPlace.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var e in r.Endpoints)
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
