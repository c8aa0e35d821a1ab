using System.Runtime.CompilerServices;
using AlertHub.Core.Cluster;
using AlertHub.Core.Storage;
using AlertHub.Core.Targeting;
using AlertHub.Storage.Postgres.Cluster;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>
/// <c>residents</c>, <c>resident_places</c>, <c>resident_endpoints</c> and <c>resident_locations</c> in PostgreSQL: uuid ids,
/// tag lists as text arrays, instants as timestamptz. Registrations and the bulk import load by binary COPY.
/// </summary>
/// <remarks>
/// Every change also numbers the residents it touched from <c>resident_change_seq</c> (deletions in
/// <c>resident_tombstones</c>) and notifies the other nodes when it commits, so that each node's targeting index follows
/// (<see cref="PostgresResidentChangeFeed"/>). The number is taken last, under one transaction-level advisory lock held
/// until commit: numbers then follow commit order, and a node that applied every change up to N has missed none below
/// it. The lock is held only for that last statement and the commit.
/// </remarks>
internal sealed class PostgresResidentStore(NpgsqlDataSource dataSource) : IResidentStore
{
    /// <summary>The advisory lock key that orders resident change numbers ("AHresCHG").</summary>
    private const long ChangeOrderLock = 0x4148_7265_7343_4847;

    /// <summary>
    /// Sent by the store, not by a node: every node hears it, the writer's too (whose index the API already updated; the
    /// catch-up then also moves its last applied number past the change).
    /// </summary>
    private const string StoreOrigin = "store";
    /// <summary>Three binary COPYs (residents, places, endpoints) in one transaction, whatever the batch size.</summary>
    public async Task InsertAsync(IReadOnlyList<NewResident> residents, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (residents.Count == 0)
        {
            return;
        }

        var now = at.UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY residents(id, token_hash, external_id, household_tags, language, tags, created_at, updated_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var r in residents)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(r.Id, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(r.TokenHash, NpgsqlDbType.Bytea, cancellationToken);
                await WriteTextAsync(copy, r.ExternalId, cancellationToken);
                await copy.WriteAsync(r.HouseholdTags.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                await WriteTextAsync(copy, r.Language, cancellationToken);
                await copy.WriteAsync(r.Tags.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await CopyChildrenAsync(connection, residents.Select(r => (r.Id, r.Places, r.Endpoints)), now, cancellationToken);
        await MarkChangedAsync(connection, tx, [.. residents.Select(r => r.Id)], cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<bool> ReplaceAsync(Guid id, ResidentChange change, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // The update locks the resident's row until commit, so a concurrent replacement of the same resident waits here and
        // then reads the endpoints this one wrote.
        await using (var update = new NpgsqlCommand(
            "UPDATE residents SET external_id = @ext, household_tags = @ht, language = @lang, tags = @tags, updated_at = @now WHERE id = @id", connection, tx))
        {
            update.Parameters.AddWithValue("id", id);
            update.Parameters.AddWithValue("ext", NpgsqlDbType.Text, (object?)change.ExternalId ?? DBNull.Value);
            update.Parameters.AddWithValue("ht", change.HouseholdTags.ToArray());
            update.Parameters.AddWithValue("lang", NpgsqlDbType.Text, (object?)change.Language ?? DBNull.Value);
            update.Parameters.AddWithValue("tags", change.Tags.ToArray());
            update.Parameters.AddWithValue("now", at.ToUniversalTime());
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        var confirmed = new HashSet<(string, string)>();
        await using (var active = new NpgsqlCommand(
            "DELETE FROM resident_endpoints WHERE resident_id = @id RETURNING channel, address, state = 'active'", connection, tx))
        {
            active.Parameters.AddWithValue("id", id);
            await using var reader = await active.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetBoolean(2))
                {
                    confirmed.Add((reader.GetString(0), reader.GetString(1)));
                }
            }
        }

        await using (var clear = new NpgsqlCommand("DELETE FROM resident_places WHERE resident_id = @id", connection, tx))
        {
            clear.Parameters.AddWithValue("id", id);
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        await CopyChildrenAsync(connection, [(id, change.Places, ResidentEndpointRules.KeepConfirmed(change.Endpoints, confirmed))], at.UtcDateTime, cancellationToken);
        await MarkChangedAsync(connection, tx, [id], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> DeleteAsync(IStoreTransaction transaction, Guid id, CancellationToken cancellationToken)
    {
        var tx = PostgresStoreTransaction.Of(transaction);
        await using (var delete = tx.Command("DELETE FROM residents WHERE id = @id"))
        {
            delete.Parameters.AddWithValue("id", id);
            if (await delete.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        // The tombstone tells nodes to drop the resident; it holds the id only (a random uuid) and is forgotten after a while
        // (PostgresResidentChangeFeed.ForgetDeletionsAsync). The database's clock dates it: only that retention reads it.
        await using var tombstone = tx.Command($"""
            SELECT pg_advisory_xact_lock({ChangeOrderLock});
            WITH t AS (
                INSERT INTO resident_tombstones(resident_id, change_seq, deleted_at) VALUES (@id, nextval('resident_change_seq'), now())
                ON CONFLICT (resident_id) DO UPDATE SET change_seq = excluded.change_seq, deleted_at = excluded.deleted_at
                RETURNING change_seq)
            SELECT pg_notify(@channel, @prefix || max(change_seq)::text) FROM t;
            """);
        tombstone.Parameters.AddWithValue("id", id);
        AddNotifyParameters(tombstone);
        await tombstone.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }

    public async Task<byte[]?> TokenHashAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT token_hash FROM residents WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task<StoredResident?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT external_id, household_tags, language, tags FROM residents WHERE id = @id;
            SELECT label, lat, lon FROM resident_places WHERE resident_id = @id ORDER BY idx;
            SELECT {ResidentRows.EndpointColumns} FROM resident_endpoints WHERE resident_id = @id ORDER BY id;
            SELECT {ResidentRows.LocationColumns} FROM resident_locations WHERE resident_id = @id;
            """);
        cmd.Parameters.AddWithValue("id", id);
        return await ResidentRows.StoredAsync(cmd, id, cancellationToken);
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT count(*) FROM residents");
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <remarks>
    /// One query, its rows streamed to the caller as they arrive: places and active channels are aggregated per resident on
    /// the server (array_agg) and joined by hash, so the hub holds one resident at a time however many there are.
    /// </remarks>
    public async IAsyncEnumerable<ResidentProfile> ReadProfilesAsync(IReadOnlyCollection<Guid>? only, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (residents, places, endpoints) = only is null
            ? ("", "", "")
            : (" WHERE r.id = ANY(@only)", " WHERE resident_id = ANY(@only)", " AND resident_id = ANY(@only)");
        await using var cmd = dataSource.CreateCommand($"""
            SELECT r.id, r.household_tags, r.language, r.tags, p.lats, p.lons, p.labels, e.channels
            FROM residents r
            LEFT JOIN (
                SELECT resident_id, array_agg(lat ORDER BY idx) AS lats, array_agg(lon ORDER BY idx) AS lons, array_agg(label ORDER BY idx) AS labels
                FROM resident_places{places} GROUP BY resident_id) p ON p.resident_id = r.id
            LEFT JOIN (
                SELECT resident_id, array_agg(DISTINCT channel) AS channels
                FROM resident_endpoints WHERE state = 'active'{endpoints} GROUP BY resident_id) e ON e.resident_id = r.id
            {residents}
            """);
        if (only is not null)
        {
            cmd.Parameters.AddWithValue("only", only.ToArray());
        }

        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var residentPlaces = new List<ResidentPlace>(2);
            if (!reader.IsDBNull(4))
            {
                var (lats, lons, labels) = (reader.GetFieldValue<double[]>(4), reader.GetFieldValue<double[]>(5), reader.GetFieldValue<string?[]>(6));
                for (var i = 0; i < lats.Length; i++)
                {
                    residentPlaces.Add(new ResidentPlace(lats[i], lons[i], labels[i]));
                }
            }

            yield return new ResidentProfile(reader.GetGuid(0), reader.GetFieldValue<string[]>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetFieldValue<string[]>(3), residentPlaces, reader.IsDBNull(7) ? [] : [.. reader.GetFieldValue<string[]>(7)]);
        }
    }

    public async Task<bool> SetLocationAsync(ResidentLocation location, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO resident_locations(resident_id, lat, lon, expires_at) VALUES (@id, @lat, @lon, @exp)
            ON CONFLICT (resident_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, expires_at = excluded.expires_at
            """, connection, tx);
        cmd.Parameters.AddWithValue("id", location.ResidentId);
        cmd.Parameters.AddWithValue("lat", location.Lat);
        cmd.Parameters.AddWithValue("lon", location.Lon);
        cmd.Parameters.AddWithValue("exp", location.ExpiresAt.ToUniversalTime());
        try
        {
            if (await cmd.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return false; // the resident does not exist (or was deleted meanwhile)
        }

        await MarkChangedAsync(connection, tx, [location.ResidentId], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task ClearLocationAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("DELETE FROM resident_locations WHERE resident_id = @id", connection, tx);
        cmd.Parameters.AddWithValue("id", id);
        if (await cmd.ExecuteNonQueryAsync(cancellationToken) > 0)
        {
            await MarkChangedAsync(connection, tx, [id], cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ResidentLocation>> ReadLiveLocationsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {ResidentRows.LocationColumns} FROM resident_locations WHERE expires_at > @now");
        cmd.Parameters.AddWithValue("now", now.ToUniversalTime());
        return await cmd.ListAsync(ResidentRows.Location, cancellationToken);
    }

    public async Task<StoredPlace?> HomeAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT label, lat, lon FROM resident_places WHERE resident_id = @id ORDER BY idx LIMIT 1");
        cmd.Parameters.AddWithValue("id", id);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken) ? new StoredPlace(r.IsDBNull(0) ? null : r.GetString(0), r.GetDouble(1), r.GetDouble(2)) : null;
    }

    public async Task<bool> UpdateProfileAsync(Guid id, IReadOnlyList<string>? householdTags, bool setLanguage, string? language, StoredPlace? place,
        DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = new NpgsqlCommand("""
            UPDATE residents SET updated_at = @now,
                household_tags = COALESCE(@ht, household_tags),
                language = CASE WHEN @setLang THEN @lang ELSE language END
            WHERE id = @id
            """, connection, tx))
        {
            update.Parameters.AddWithValue("id", id);
            update.Parameters.AddWithValue("now", at.ToUniversalTime());
            update.Parameters.AddWithValue("ht", NpgsqlDbType.Array | NpgsqlDbType.Text, (object?)householdTags?.ToArray() ?? DBNull.Value);
            update.Parameters.AddWithValue("setLang", setLanguage);
            update.Parameters.AddWithValue("lang", NpgsqlDbType.Text, (object?)language ?? DBNull.Value);
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        if (place is not null)
        {
            await using var places = new NpgsqlCommand("""
                DELETE FROM resident_places WHERE resident_id = @id;
                INSERT INTO resident_places(resident_id, idx, label, lat, lon) VALUES (@id, 0, @label, @lat, @lon);
                """, connection, tx);
            places.Parameters.AddWithValue("id", id);
            places.Parameters.AddWithValue("label", NpgsqlDbType.Text, (object?)place.Label ?? DBNull.Value);
            places.Parameters.AddWithValue("lat", place.Lat);
            places.Parameters.AddWithValue("lon", place.Lon);
            await places.ExecuteNonQueryAsync(cancellationToken);
        }

        await MarkChangedAsync(connection, tx, [id], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<long?> AddEndpointAsync(Guid residentId, NewEndpoint endpoint, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // The resident's row lock makes two staff adding the same number at once see each other's endpoint (read committed
        // alone would let both insert). NO KEY UPDATE leaves the foreign-key checks of the insert below unblocked.
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM residents WHERE id = @id FOR NO KEY UPDATE", connection, tx))
        {
            exists.Parameters.AddWithValue("id", residentId);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return null;
            }
        }

        await using var insert = new NpgsqlCommand("""
            WITH existing AS (
                SELECT id FROM resident_endpoints WHERE resident_id = @id AND channel = @channel AND address = @address AND state = 'active'
                ORDER BY id DESC LIMIT 1),
            added AS (
                INSERT INTO resident_endpoints(resident_id, channel, address, secret, state, created_at)
                SELECT @id, @channel, @address, @secret, @state, @now WHERE NOT EXISTS (SELECT 1 FROM existing)
                RETURNING id)
            SELECT id FROM added UNION ALL SELECT id FROM existing
            """, connection, tx);
        insert.Parameters.AddWithValue("id", residentId);
        insert.Parameters.AddWithValue("channel", endpoint.Channel);
        insert.Parameters.AddWithValue("address", endpoint.Address);
        insert.Parameters.AddWithValue("secret", NpgsqlDbType.Text, (object?)endpoint.Secret ?? DBNull.Value);
        insert.Parameters.AddWithValue("state", endpoint.State);
        insert.Parameters.AddWithValue("now", at.ToUniversalTime());
        var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        await MarkChangedAsync(connection, tx, [residentId], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return id;
    }

    public async Task<ResidentEndpoint?> FindEndpointAsync(long endpointId, string channel, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {ResidentRows.EndpointColumns} FROM resident_endpoints WHERE id = @id AND channel = @channel");
        cmd.Parameters.AddWithValue("id", endpointId);
        cmd.Parameters.AddWithValue("channel", channel);
        return await cmd.FirstOrDefaultAsync(ResidentRows.Endpoint, cancellationToken);
    }

    public async Task<IReadOnlyList<ResidentEndpoint>> EndpointsOfAsync(IReadOnlyCollection<Guid> residentIds, string channel, string state,
        CancellationToken cancellationToken)
    {
        if (residentIds.Count == 0)
        {
            return [];
        }

        await using var cmd = dataSource.CreateCommand(
            $"SELECT {ResidentRows.EndpointColumns} FROM resident_endpoints WHERE channel = @channel AND state = @state AND resident_id = ANY(@ids)");
        cmd.Parameters.AddWithValue("channel", channel);
        cmd.Parameters.AddWithValue("state", state);
        cmd.Parameters.AddWithValue("ids", residentIds.ToArray());
        return await cmd.ListAsync(ResidentRows.Endpoint, cancellationToken);
    }

    public async Task<bool> HasActiveEndpointAsync(Guid residentId, string channel, string address, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT EXISTS(SELECT 1 FROM resident_endpoints WHERE resident_id = @r AND channel = @c AND address = @a AND state = 'active')");
        cmd.Parameters.AddWithValue("r", residentId);
        cmd.Parameters.AddWithValue("c", channel);
        cmd.Parameters.AddWithValue("a", address);
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<Guid?> FindByAddressAsync(string channel, string address, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT resident_id FROM resident_endpoints WHERE channel = @channel AND address = @address
            ORDER BY state = 'active' DESC, id DESC LIMIT 1
            """);
        cmd.Parameters.AddWithValue("channel", channel);
        cmd.Parameters.AddWithValue("address", address);
        return await cmd.ExecuteScalarAsync(cancellationToken) is Guid id ? id : null;
    }

    public async Task<IReadOnlyList<Guid>> SetAddressStateAsync(string channel, string address, string state, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(
            "UPDATE resident_endpoints SET state = @state WHERE channel = @channel AND address = @address RETURNING resident_id", connection, tx);
        cmd.Parameters.AddWithValue("state", state);
        cmd.Parameters.AddWithValue("channel", channel);
        cmd.Parameters.AddWithValue("address", address);
        Guid[] changed = [.. (await cmd.ListAsync(reader => reader.Uuid(0), cancellationToken)).Distinct()];
        await MarkChangedAsync(connection, tx, changed, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return changed;
    }

    public async Task<bool> ActivateEndpointAsync(long endpointId, string channel, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(
            "UPDATE resident_endpoints SET state = 'active' WHERE id = @id AND channel = @channel AND state = 'pending' RETURNING resident_id", connection, tx);
        cmd.Parameters.AddWithValue("id", endpointId);
        cmd.Parameters.AddWithValue("channel", channel);
        if (await cmd.ExecuteScalarAsync(cancellationToken) is not Guid residentId)
        {
            return false;
        }

        await MarkChangedAsync(connection, tx, [residentId], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<Guid?> PruneEndpointAsync(long endpointId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand("UPDATE resident_endpoints SET state = 'gone' WHERE id = @id RETURNING resident_id", connection, tx);
        cmd.Parameters.AddWithValue("id", endpointId);
        if (await cmd.ExecuteScalarAsync(cancellationToken) is not Guid id)
        {
            return null;
        }

        await MarkChangedAsync(connection, tx, [id], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return id;
    }

    /// <summary>
    /// The last statement of a resident change: numbers the residents (see the remarks above) and queues the notification
    /// PostgreSQL sends the other nodes when, and only if, the transaction commits.
    /// </summary>
    private async Task MarkChangedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid[] ids, CancellationToken cancellationToken)
    {
        if (ids.Length == 0)
        {
            return;
        }

        // The residents' rows are locked (in id order) before the advisory lock: whoever holds that lock then never waits for
        // a row another change holds while it waits for the advisory lock, so the two locks cannot deadlock.
        await using var cmd = new NpgsqlCommand($"""
            SELECT 1 FROM residents WHERE id = ANY(@ids) ORDER BY id FOR NO KEY UPDATE;
            SELECT pg_advisory_xact_lock({ChangeOrderLock});
            WITH u AS (UPDATE residents SET change_seq = nextval('resident_change_seq') WHERE id = ANY(@ids) RETURNING change_seq)
            SELECT pg_notify(@channel, @prefix || max(change_seq)::text) FROM u HAVING count(*) > 0;
            """, connection, tx);
        cmd.Parameters.AddWithValue("ids", ids);
        AddNotifyParameters(cmd);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private void AddNotifyParameters(NpgsqlCommand cmd)
    {
        cmd.Parameters.AddWithValue("channel", PostgresClusterEvents.Channel);
        cmd.Parameters.AddWithValue("prefix", PostgresClusterEvents.Encode(StoreOrigin, 0, ClusterTopics.Residents, ""));
    }

    private static async Task CopyChildrenAsync(NpgsqlConnection connection,
        IEnumerable<(Guid Id, IReadOnlyList<StoredPlace> Places, IReadOnlyList<NewEndpoint> Endpoints)> residents, DateTime now, CancellationToken cancellationToken)
    {
        var list = residents as IReadOnlyCollection<(Guid Id, IReadOnlyList<StoredPlace> Places, IReadOnlyList<NewEndpoint> Endpoints)> ?? [.. residents];
        if (list.Any(r => r.Places.Count > 0))
        {
            await using var places = await connection.BeginBinaryImportAsync(
                "COPY resident_places(resident_id, idx, label, lat, lon) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var (id, residentPlaces, _) in list)
            {
                for (var i = 0; i < residentPlaces.Count; i++)
                {
                    await places.StartRowAsync(cancellationToken);
                    await places.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
                    await places.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken);
                    await WriteTextAsync(places, residentPlaces[i].Label, cancellationToken);
                    await places.WriteAsync(residentPlaces[i].Lat, NpgsqlDbType.Double, cancellationToken);
                    await places.WriteAsync(residentPlaces[i].Lon, NpgsqlDbType.Double, cancellationToken);
                }
            }

            await places.CompleteAsync(cancellationToken);
        }

        if (list.Any(r => r.Endpoints.Count > 0))
        {
            await using var endpoints = await connection.BeginBinaryImportAsync(
                "COPY resident_endpoints(resident_id, channel, address, secret, state, created_at) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var (id, _, residentEndpoints) in list)
            {
                foreach (var e in residentEndpoints)
                {
                    await endpoints.StartRowAsync(cancellationToken);
                    await endpoints.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
                    await endpoints.WriteAsync(e.Channel, NpgsqlDbType.Text, cancellationToken);
                    await endpoints.WriteAsync(e.Address, NpgsqlDbType.Text, cancellationToken);
                    await WriteTextAsync(endpoints, e.Secret, cancellationToken);
                    await endpoints.WriteAsync(e.State, NpgsqlDbType.Text, cancellationToken);
                    await endpoints.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                }
            }

            await endpoints.CompleteAsync(cancellationToken);
        }
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
}
