using AlertHub.Core.Cluster;
using Npgsql;

namespace AlertHub.Storage.Postgres.Cluster;

/// <summary>The <c>data_protection_keys</c> table: ASP.NET Core's key ring, shared by every node on this database.</summary>
internal sealed class PostgresDataProtectionKeyStore(NpgsqlDataSource dataSource) : IDataProtectionKeyStore
{
    public IReadOnlyList<string> List()
    {
        using var cmd = dataSource.CreateCommand("SELECT xml FROM data_protection_keys ORDER BY id");
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read())
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    public void Store(string friendlyName, string xml)
    {
        using var cmd = dataSource.CreateCommand(
            "INSERT INTO data_protection_keys(friendly_name, xml) VALUES (@name, @xml) ON CONFLICT (friendly_name) DO NOTHING");
        cmd.Parameters.AddWithValue("name", friendlyName);
        cmd.Parameters.AddWithValue("xml", xml);
        cmd.ExecuteNonQuery();
    }
}
