using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>Encrypts the secrets a hub stored before <see cref="ISecretProtector"/> existed, the same way on every engine.</summary>
internal static class LegacySecrets
{
    /// <summary>
    /// Reads (key, secret) rows with <paramref name="selectKeyAndSecret"/> and re-stores every unprotected secret with
    /// <paramref name="updateSecret"/> (parameters <c>@key</c> and <c>@secret</c>), inside the caller's transaction; returns how many.
    /// </summary>
    public static async Task<int> ProtectAsync(DbConnection connection, DbTransaction transaction, ISecretProtector secrets, string selectKeyAndSecret,
        string updateSecret, CancellationToken cancellationToken)
    {
        var legacy = new List<(string Key, string Secret)>();
        await using (var read = Command(connection, transaction, selectKeyAndSecret))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!secrets.IsProtected(reader.GetString(1)))
                {
                    legacy.Add((reader.GetString(0), reader.GetString(1)));
                }
            }
        }

        foreach (var (key, secret) in legacy)
        {
            await using var write = Command(connection, transaction, updateSecret);
            Add(write, "key", key);
            Add(write, "secret", secrets.Protect(secret));
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        return legacy.Count;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql;
        return cmd;
    }

    private static void Add(DbCommand cmd, string name, string value)
    {
        var parameter = cmd.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        cmd.Parameters.Add(parameter);
    }
}
