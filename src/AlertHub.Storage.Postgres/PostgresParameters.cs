using Npgsql;

namespace AlertHub.Storage.Postgres;

/// <summary>Parameters by name, as the PostgreSQL stores bind them.</summary>
internal static class PostgresParameters
{
    /// <summary>Adds each (name, value); null becomes SQL NULL, and an instant is written as UTC (Npgsql's only form for timestamptz).</summary>
    public static void Add(NpgsqlCommand cmd, params (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value is DateTimeOffset at ? at.ToUniversalTime() : value ?? DBNull.Value);
        }
    }
}
