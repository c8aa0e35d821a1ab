using AlertHub.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AlertHub.Storage.Postgres.Stores;

/// <summary>The <c>rules</c> table (one row, the document as jsonb) in PostgreSQL.</summary>
internal sealed class PostgresRuleSetStore(NpgsqlDataSource dataSource) : IRuleSetStore
{
    public async Task<string?> GetJsonAsync(CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("SELECT json::text FROM rules WHERE id = 1");
        return await cmd.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task SaveJsonAsync(string json, DateTimeOffset at, string actor, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO rules(id, json, updated_at, updated_by) VALUES (1, @json, @at, @by)
            ON CONFLICT (id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """);
        cmd.Parameters.AddWithValue("json", NpgsqlDbType.Jsonb, json);
        cmd.Parameters.AddWithValue("at", at.ToUniversalTime());
        cmd.Parameters.AddWithValue("by", actor);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
