using AlertHub.Server.Features.Storage.Migration;
using NpgsqlTypes;

namespace AlertHub.UnitTests.Storage;

public sealed class ColumnConversionTests
{
    [Theory]
    [InlineData("2026-05-01T10:00:00.1234567+09:00", "2026-05-01T01:00:00.1234560Z")]
    [InlineData("2026-05-01T01:00:00.0000000+00:00", "2026-05-01T01:00:00.0000000Z")]
    [InlineData("2026-04-30T20:30:00-04:30", "2026-05-01T01:00:00.0000000Z")]
    [InlineData("2026-05-01T01:00:00Z", "2026-05-01T01:00:00.0000000Z")]
    [InlineData("2026-05-01T01:00:00", "2026-05-01T01:00:00.0000000Z")]
    public void Convert_IsoTextToTimestamptz_KeepsTheInstantInUtcToTheMicrosecond(string sqlite, string expected)
    {
        var value = Assert.IsType<DateTime>(ColumnConversion.Convert(sqlite, "timestamptz", "t.at"));

        Assert.Equal(DateTimeKind.Utc, value.Kind);
        Assert.Equal(expected, value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Convert_UnixMillisecondsToTimestamptz_IsThatInstant()
    {
        var value = Assert.IsType<DateTime>(ColumnConversion.Convert(1777597200123L, "timestamptz", "t.at"));

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1777597200123).UtcDateTime, value);
        Assert.Equal(DateTimeKind.Utc, value.Kind);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("uuid")]
    [InlineData("int4")]
    [InlineData("bool")]
    [InlineData("bytea")]
    [InlineData("timestamptz")]
    [InlineData("jsonb")]
    [InlineData("_text")]
    [InlineData("_uuid")]
    [InlineData("_int4")]
    public void Convert_Null_StaysNull(string pgType)
    {
        Assert.Null(ColumnConversion.Convert(null, pgType, "t.c"));
        Assert.Null(ColumnConversion.Convert(DBNull.Value, pgType, "t.c"));
    }

    [Fact]
    public void Convert_JapaneseText_IsKeptExactly()
    {
        const string note = "足が悪く動けません（横手市 十文字町）🙏";

        Assert.Equal(note, ColumnConversion.Convert(note, "text", "safety_replies.note"));
        Assert.Equal("""{"ja":{"headline":"避難指示"}}""", ColumnConversion.Convert("""{"ja":{"headline":"避難指示"}}""", "json", "t.texts"));
        Assert.Equal(["高齢者", "要配慮者"], Assert.IsType<string[]>(ColumnConversion.Convert("""["高齢者","要配慮者"]""", "_text", "residents.tags")));
    }

    [Fact]
    public void Convert_Bytes_AreKeptExactly()
    {
        byte[] bytes = [0, 1, 0xFF, 0x7F, 0x80, 0];

        Assert.Equal(bytes, ColumnConversion.Convert(bytes, "bytea", "residents.token_hash"));
        Assert.Throws<FormatException>(() => ColumnConversion.Convert("AAEC", "bytea", "residents.token_hash"));
    }

    [Fact]
    public void Convert_TextIdsAndMemberLists_BecomeUuids()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();

        Assert.Equal(a, ColumnConversion.Convert(a.ToString(), "uuid", "residents.id"));
        Assert.Equal([a, b], Assert.IsType<Guid[]>(ColumnConversion.Convert($"[\"{a}\",\"{b:N}\"]", "_uuid", "outbox_items.members")));
        Assert.Equal([0, 2, 1], Assert.IsType<int[]>(ColumnConversion.Convert("[0,2,1]", "_int4", "outbox_items.attempts")));
    }

    [Fact]
    public void Convert_ZeroAndOne_BecomeBooleansAndNothingElseDoes()
    {
        Assert.Equal(false, ColumnConversion.Convert(0L, "bool", "areas.demo"));
        Assert.Equal(true, ColumnConversion.Convert(1L, "bool", "areas.demo"));
        var refused = Assert.Throws<FormatException>(() => ColumnConversion.Convert(2L, "bool", "areas.demo"));
        Assert.Contains("areas.demo", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_NumbersOutOfRangeOrMalformedValues_AreRefusedNamingTheColumn()
    {
        Assert.Equal((short)1, ColumnConversion.Convert(1L, "int2", "outbox_items.state"));
        Assert.Equal(3.5, ColumnConversion.Convert(3.5, "float8", "shelters.lat"));
        Assert.Equal(140.0, ColumnConversion.Convert(140L, "float8", "shelters.lon"));
        Assert.Throws<FormatException>(() => ColumnConversion.Convert(70000L, "int2", "outbox_items.state"));
        Assert.Throws<FormatException>(() => ColumnConversion.Convert((long)int.MaxValue + 1, "int4", "alerts.current_version"));
        Assert.Throws<FormatException>(() => ColumnConversion.Convert("not-a-guid", "uuid", "residents.id"));
        Assert.Throws<FormatException>(() => ColumnConversion.Convert("{broken", "jsonb", "alert_versions.document"));
        var refused = Assert.Throws<FormatException>(() => ColumnConversion.Convert("yesterday", "timestamptz", "alerts.created_at"));
        Assert.Contains("alerts.created_at", refused.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => ColumnConversion.Convert("x", "point", "t.c"));
    }

    [Fact]
    public void DbTypeOf_EveryTypeTheSchemaUses_IsKnown()
    {
        Assert.Equal(NpgsqlDbType.Array | NpgsqlDbType.Uuid, ColumnConversion.DbTypeOf("_uuid"));
        Assert.Equal(NpgsqlDbType.TimestampTz, ColumnConversion.DbTypeOf("timestamptz"));
        Assert.Equal(NpgsqlDbType.Json, ColumnConversion.DbTypeOf("json"));
        Assert.Null(ColumnConversion.DbTypeOf("geometry"));
    }
}
