using System.Text.Json;
using AlertHub.Server.Features.Alerts;

namespace AlertHub.UnitTests.Alerts;

public class SortedIdArrayJsonTests
{
    [Fact]
    public void Ids_come_out_as_a_json_array_in_sqlite_text_order()
    {
        var random = new Random(3);
        var ids = Enumerable.Range(0, 5000).Select(_ => new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16)))
            .Append(Guid.Empty)
            .Append(Guid.AllBitsSet)
            .Append(Guid.Parse("80000000-0000-0000-0000-000000000000"))
            .Append(Guid.Parse("7fffffff-ffff-ffff-ffff-ffffffffffff"))
            .ToList();

        var parsed = JsonSerializer.Deserialize<string[]>(AlertStore.SortedIdArrayJson(ids))!;

        // SQLite's BINARY collation is byte order, which for ASCII text is ordinal string order.
        var expected = ids.Select(id => id.ToString("D")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public void No_ids_is_an_empty_array() => Assert.Equal("[]", AlertStore.SortedIdArrayJson([]));
}
