using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Storage.Sqlite;

/// <summary>The <c>rules</c> table (one row) in the embedded SQLite store.</summary>
internal sealed class SqliteRuleSetStore(Database database) : IRuleSetStore
{
    public async Task<string?> GetJsonAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT json FROM rules WHERE id = 1";
        return await cmd.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task SaveJsonAsync(string json, DateTimeOffset at, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO rules(id, json, updated_at, updated_by) VALUES (1, $json, $at, $by)
            ON CONFLICT(id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """;
        cmd.Parameters.AddWithValue("$json", json);
        cmd.Parameters.AddWithValue("$at", at.ToString("O"));
        cmd.Parameters.AddWithValue("$by", actor);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
