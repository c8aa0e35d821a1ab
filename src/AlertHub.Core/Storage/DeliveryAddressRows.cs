using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>The address look-up's rows read the same way on every engine (see <see cref="DbRows"/>).</summary>
internal static class DeliveryAddressRows
{
    /// <summary>
    /// One answer per resident asked about, from rows selected as <c>index, endpoint id, address, secret, state, language</c>
    /// (index = the resident's 0-based position; endpoint columns null when the resident has no active endpoint).
    /// </summary>
    public static async Task<(DeliveryAddress? Endpoint, string? Language)[]> ReadAsync(DbCommand cmd, int residents, CancellationToken cancellationToken)
    {
        var found = new (DeliveryAddress?, string?)[residents];
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var endpoint = reader.IsDBNull(1) ? null : new DeliveryAddress(reader.GetInt64(1), reader.GetString(2), reader.TextOrNull(3), reader.GetString(4));
            found[reader.GetInt32(0)] = (endpoint, reader.TextOrNull(5));
        }

        return found;
    }
}
