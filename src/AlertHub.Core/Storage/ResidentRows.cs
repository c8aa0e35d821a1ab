using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The resident tables' rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class ResidentRows
{
    /// <summary>The columns <see cref="Endpoint"/> expects, in order.</summary>
    public const string EndpointColumns = "id, resident_id, channel, address, state";

    /// <summary>The columns <see cref="Location"/> expects, in order.</summary>
    public const string LocationColumns = "resident_id, lat, lon, expires_at";

    public static ResidentEndpoint Endpoint(DbDataReader r) => new(r.GetInt64(0), r.Uuid(1), r.GetString(2), r.GetString(3), r.GetString(4));

    public static ResidentLocation Location(DbDataReader r) => new(r.Uuid(0), r.GetDouble(1), r.GetDouble(2), r.Instant(3));

    /// <summary>
    /// A resident from four result sets: <c>external_id, household_tags, language, tags</c>; its places (<c>label, lat, lon</c>
    /// in order); its endpoints (<see cref="EndpointColumns"/>); its live location (<see cref="LocationColumns"/>). Null when
    /// the first is empty.
    /// </summary>
    public static async Task<StoredResident?> StoredAsync(DbCommand cmd, Guid id, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var externalId = reader.TextOrNull(0);
        var householdTags = reader.TextArray(1);
        var language = reader.TextOrNull(2);
        var tags = reader.TextArray(3);
        await reader.NextResultAsync(cancellationToken);
        var places = new List<StoredPlace>();
        while (await reader.ReadAsync(cancellationToken))
        {
            places.Add(new StoredPlace(reader.TextOrNull(0), reader.GetDouble(1), reader.GetDouble(2)));
        }

        await reader.NextResultAsync(cancellationToken);
        var endpoints = new List<ResidentEndpoint>();
        while (await reader.ReadAsync(cancellationToken))
        {
            endpoints.Add(Endpoint(reader));
        }

        await reader.NextResultAsync(cancellationToken);
        var location = await reader.ReadAsync(cancellationToken) ? Location(reader) : null;
        return new StoredResident(id, externalId, householdTags, language, tags, places, endpoints, location);
    }
}
