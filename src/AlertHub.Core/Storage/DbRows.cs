using System.Data.Common;

namespace AlertHub.Core.Storage;

/// <summary>Reading result rows the same way on every engine (both ADO.NET providers derive from <see cref="DbDataReader"/>).</summary>
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
}
