using Microsoft.Data.Sqlite;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>Parameters by name, as the SQLite stores bind them.</summary>
internal static class SqliteParameters
{
    /// <summary>Adds each (name, value); null becomes SQL NULL.</summary>
    public static void Add(SqliteCommand cmd, params (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }
}
