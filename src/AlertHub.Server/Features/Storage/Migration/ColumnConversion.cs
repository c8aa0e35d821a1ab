using System.Globalization;
using System.Text.Json;
using NpgsqlTypes;

namespace AlertHub.Server.Features.Storage.Migration;

/// <summary>
/// How one SQLite value becomes the PostgreSQL column's value, decided by the target column's type (the PostgreSQL schema is
/// the richer one): ISO 8601 text or Unix milliseconds → timestamptz (the same instant, written as UTC), text ids → uuid,
/// 0/1 → boolean, JSON text → jsonb/json as it is, JSON arrays → text[]/uuid[]/int[]. Anything else is refused with the
/// table and column named, rather than guessed: a copy that silently changes a delivery record is worse than none.
/// </summary>
internal static class ColumnConversion
{
    /// <summary>The binary COPY type of a PostgreSQL column type (<c>pg_type.typname</c>); null when the copy does not know it.</summary>
    public static NpgsqlDbType? DbTypeOf(string pgType) => pgType switch
    {
        "text" or "varchar" => NpgsqlDbType.Text,
        "uuid" => NpgsqlDbType.Uuid,
        "int2" => NpgsqlDbType.Smallint,
        "int4" => NpgsqlDbType.Integer,
        "int8" => NpgsqlDbType.Bigint,
        "float8" => NpgsqlDbType.Double,
        "bool" => NpgsqlDbType.Boolean,
        "bytea" => NpgsqlDbType.Bytea,
        "timestamptz" => NpgsqlDbType.TimestampTz,
        "jsonb" => NpgsqlDbType.Jsonb,
        "json" => NpgsqlDbType.Json,
        "_text" => NpgsqlDbType.Array | NpgsqlDbType.Text,
        "_uuid" => NpgsqlDbType.Array | NpgsqlDbType.Uuid,
        "_int4" => NpgsqlDbType.Array | NpgsqlDbType.Integer,
        _ => null,
    };

    /// <summary>
    /// Converts <paramref name="value"/> (as Microsoft.Data.Sqlite reads it: null, long, double, string or byte[]) for a column
    /// of PostgreSQL type <paramref name="pgType"/>; null stays null. Throws <see cref="FormatException"/> naming
    /// <paramref name="where"/> when the value does not fit.
    /// </summary>
    public static object? Convert(object? value, string pgType, string where)
    {
        if (value is null or DBNull)
        {
            return null;
        }

        try
        {
            return pgType switch
            {
                "text" or "varchar" => value switch
                {
                    string s => s,
                    long l => l.ToString(CultureInfo.InvariantCulture),
                    double d => d.ToString("R", CultureInfo.InvariantCulture),
                    _ => Refuse(value, pgType),
                },
                "uuid" => Guid.Parse(Text(value)),
                "int2" => checked((short)Integer(value)),
                "int4" => checked((int)Integer(value)),
                "int8" => Integer(value),
                "float8" => value switch
                {
                    double d => d,
                    long l => (double)l,
                    _ => Refuse(value, pgType),
                },
                "bool" => Integer(value) switch
                {
                    0 => false,
                    1 => true,
                    _ => Refuse(value, pgType),
                },
                "bytea" => value is byte[] bytes ? bytes : Refuse(value, pgType),
                "timestamptz" => Instant(value),
                "jsonb" or "json" => ValidJson(Text(value)),
                "_text" => JsonSerializer.Deserialize<string[]>(Text(value)) ?? Refuse(value, pgType),
                "_uuid" => (JsonSerializer.Deserialize<string[]>(Text(value)) ?? Refuse<string[]>(value, pgType)).Select(Guid.Parse).ToArray(),
                "_int4" => JsonSerializer.Deserialize<int[]>(Text(value)) ?? Refuse(value, pgType),
                _ => throw new FormatException($"the copy does not know the PostgreSQL type {pgType}"),
            };
        }
        catch (Exception e) when (e is FormatException or JsonException or OverflowException or InvalidCastException)
        {
            throw new FormatException($"{where}: {Describe(value)} cannot become {pgType} ({e.Message})", e);
        }
    }

    /// <summary>
    /// An instant as SQLite keeps it: ISO 8601 text (with its offset; text without one is UTC, as the hub writes it) or
    /// milliseconds since the Unix epoch (the outbox and telephony columns). PostgreSQL gets the same instant in UTC, to the
    /// microsecond: timestamptz keeps no finer, so the 100 ns ticks .NET writes into the text are truncated here, as Npgsql
    /// truncates them when the PostgreSQL hub writes an instant itself.
    /// </summary>
    public static DateTime Instant(object value)
    {
        var utc = value switch
        {
            string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).UtcDateTime,
            long ms => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime,
            _ => Refuse<DateTime>(value, "timestamptz"),
        };
        return utc.AddTicks(-(utc.Ticks % 10));
    }

    private static string ValidJson(string json)
    {
        // PostgreSQL would refuse it too, but only after the batch was sent; this names the row.
        using var _ = JsonDocument.Parse(json);
        return json;
    }

    private static string Text(object value) => value as string ?? Refuse<string>(value, "text");

    private static long Integer(object value) => value switch
    {
        long l => l,
        double d when d == Math.Floor(d) => checked((long)d),
        _ => Refuse<long>(value, "an integer"),
    };

    private static object Refuse(object value, string type) => Refuse<object>(value, type);

    private static T Refuse<T>(object value, string type) => throw new FormatException($"a {value.GetType().Name} is not {type}");

    private static string Describe(object value) => value switch
    {
        string s => $"'{(s.Length > 60 ? s[..60] + "…" : s)}'",
        byte[] b => $"{b.Length} bytes",
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?",
    };
}
