using System.Data.Common;
using System.Globalization;
using System.Text.Json;

namespace AlertHub.Core.Storage;

/// <summary>
/// Reading result rows the same way on every engine (both ADO.NET providers derive from <see cref="DbDataReader"/>). The
/// column readers take a value as the engine stored it: SQLite keeps instants as ISO-8601 text or Unix milliseconds and
/// booleans as 0/1, PostgreSQL as timestamptz and boolean; a row mapping written with them serves both engines.
/// </summary>
internal static class DbRows
{
    /// <summary>Every row of the command's result, mapped in order.</summary>
    public static async Task<List<T>> ListAsync<T>(this DbCommand cmd, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(map(reader));
        }

        return list;
    }

    /// <summary>The first row of the command's result, mapped, or the default when there is none.</summary>
    public static async Task<T?> FirstOrDefaultAsync<T>(this DbCommand cmd, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? map(reader) : default;
    }

    /// <summary>An instant: ISO-8601 text, Unix milliseconds or a timestamptz, whichever the engine stored.</summary>
    public static DateTimeOffset Instant(this DbDataReader reader, int ordinal)
    {
        var type = reader.GetFieldType(ordinal);
        if (type == typeof(string))
        {
            return DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture);
        }

        return type == typeof(long) ? DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal)) : reader.GetFieldValue<DateTimeOffset>(ordinal);
    }

    /// <summary>An instant as Unix milliseconds, whichever way the engine stored it.</summary>
    public static long UnixMs(this DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(long) ? reader.GetInt64(ordinal) : reader.Instant(ordinal).ToUnixTimeMilliseconds();

    /// <summary>A flag stored as a boolean or as 0/1.</summary>
    public static bool Flag(this DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(bool) ? reader.GetBoolean(ordinal) : reader.GetInt64(ordinal) != 0;

    /// <summary>A UUID stored as uuid or as its text.</summary>
    public static Guid Uuid(this DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(string) ? Guid.Parse(reader.GetString(ordinal)) : reader.GetGuid(ordinal);

    /// <summary>A list of strings stored as a JSON array (SQLite) or a text[] (PostgreSQL).</summary>
    public static string[] TextArray(this DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(string)
            ? JsonSerializer.Deserialize<string[]>(reader.GetString(ordinal)) ?? []
            : reader.GetFieldValue<string[]>(ordinal);

    public static string? TextOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static double? DoubleOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    public static int? Int32OrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static long? Int64OrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static DateTimeOffset? InstantOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.Instant(ordinal);

    public static long? UnixMsOrNull(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.UnixMs(ordinal);
}
