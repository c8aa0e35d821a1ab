using System.Text;
using System.Text.Json;
using AlertHub.Server.Infrastructure;

namespace AlertHub.UnitTests.Infrastructure;

public sealed class JsonTextValidatorTests
{
    [Theory]
    [InlineData("{\"headline\":\"横手川 氾濫危険\"}")]
    [InlineData("{\"emoji\":\"\\ud83d\\ude00 😀\"}")]
    [InlineData("{\"escapedBackslash\":\"\\\\ud800\"}")]
    [InlineData("{\"quote\":\"say \\\"\\\\ud800\\\" as text\"}")]
    [InlineData("{\"bmp\":\"\\u0041\\u3042\\uFFFF\"}")]
    [InlineData("[1e400, \"NaN\", null, true]")]
    public void Feed_WellFormedText_Passes(string json)
    {
        var validator = new JsonTextValidator();
        Assert.Null(validator.Feed(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("{\"a\":\"\\ud800\"}")]
    [InlineData("{\"a\":\"x\\uDBFFy\"}")]
    [InlineData("{\"a\":\"\\udc00\"}")]
    [InlineData("{\"a\":\"\\udc00\\ud800\"}")]
    [InlineData("{\"a\":\"\\ud800\\ud800\"}")]
    [InlineData("{\"a\":\"\\ud800\\n\"}")]
    [InlineData("{\"\\ud800\":1}")]
    public void Feed_UnpairedSurrogateEscape_IsRefused(string json)
    {
        var validator = new JsonTextValidator();
        Assert.NotNull(validator.Feed(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xE0, 0x80, 0xAF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]
    [InlineData(new byte[] { 0xE3, 0x81 })]
    [InlineData(new byte[] { 0x80 })]
    public void Feed_InvalidUtf8InAString_IsRefused(byte[] bad)
    {
        var validator = new JsonTextValidator();
        Assert.NotNull(validator.Feed([.. "{\"a\":\""u8, .. bad, .. "\"}"u8]));
    }

    [Fact]
    public void Feed_SplitAnywhere_GivesTheSameAnswer()
    {
        var bad = Encoding.UTF8.GetBytes("{\"a\":\"ok あ \\ud83d\\ude00\",\"b\":\"\\ud800x\"}");
        for (var cut = 0; cut <= bad.Length; cut++)
        {
            var validator = new JsonTextValidator();
            var first = validator.Feed(bad.AsSpan(0, cut));
            var second = first ?? validator.Feed(bad.AsSpan(cut));
            Assert.NotNull(second);
        }

        var good = Encoding.UTF8.GetBytes("{\"a\":\"ok あ \\ud83d\\ude00 😀\"}");
        for (var cut = 0; cut <= good.Length; cut++)
        {
            var validator = new JsonTextValidator();
            Assert.Null(validator.Feed(good.AsSpan(0, cut)));
            Assert.Null(validator.Feed(good.AsSpan(cut)));
        }
    }

    /// <summary>Random strings of tricky fragments: the validator agrees with System.Text.Json on every document it can parse.</summary>
    [Fact]
    public void Feed_AgreesWithSystemTextJson_OnRandomDocuments()
    {
        byte[][] fragments =
        [
            "a"u8.ToArray(), "あ"u8.ToArray(), "😀"u8.ToArray(), "\\ud800"u8.ToArray(), "\\udc00"u8.ToArray(), "\\ud83d"u8.ToArray(),
            "\\ude00"u8.ToArray(), "\\\\"u8.ToArray(), "\\\""u8.ToArray(), "\\n"u8.ToArray(), "\\u0041"u8.ToArray(), "u"u8.ToArray(),
            [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xFF], [0xE3, 0x81], [0x81], [0xF4, 0x90, 0x80, 0x80], [0xEF, 0xBF, 0xBF],
        ];
        var random = new Random(20260701);
        var compared = (Valid: 0, Invalid: 0);
        for (var i = 0; i < 20_000; i++)
        {
            var document = new List<byte>("{\""u8.ToArray());
            AddRandom(document);
            document.AddRange("\":[\""u8.ToArray());
            AddRandom(document);
            document.AddRange("\",\""u8.ToArray());
            AddRandom(document);
            document.AddRange("\"]}"u8.ToArray());
            var bytes = document.ToArray();

            bool expected;
            try
            {
                expected = ReadsAllStrings(bytes);
            }
            catch (JsonException)
            {
                continue;
            }

            var validator = new JsonTextValidator();
            var cut = random.Next(bytes.Length + 1);
            var actual = (validator.Feed(bytes.AsSpan(0, cut)) ?? validator.Feed(bytes.AsSpan(cut))) is null;
            Assert.True(expected == actual, $"System.Text.Json says {(expected ? "valid" : "invalid")}, the validator disagrees: {Convert.ToHexString(bytes)}");
            compared = expected ? (compared.Valid + 1, compared.Invalid) : (compared.Valid, compared.Invalid + 1);
        }

        // The sample must exercise both answers, or the comparison proves nothing.
        Assert.True(compared.Valid > 500 && compared.Invalid > 500, $"valid {compared.Valid}, invalid {compared.Invalid}");

        void AddRandom(List<byte> into)
        {
            for (var n = random.Next(0, 5); n > 0; n--)
            {
                into.AddRange(fragments[random.Next(fragments.Length)]);
            }
        }
    }

    [Fact]
    public async Task Stream_ReadingPastABadString_ThrowsInvalidJsonText()
    {
        var body = new MemoryStream(Encoding.UTF8.GetBytes("{\"name\":\"" + new string('a', 10_000) + "\\udc00\"}"));
        var stream = new JsonTextValidatingStream(body);
        var exception = await Assert.ThrowsAsync<InvalidJsonTextException>(() => JsonDocument.ParseAsync(stream));
        Assert.Equal("request.invalid_text", exception.Code);
        Assert.Equal(400, exception.StatusCode);
    }

    private static bool ReadsAllStrings(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        try
        {
            foreach (var property in document.RootElement.EnumerateObject())
            {
                _ = property.Name;
                foreach (var item in property.Value.EnumerateArray())
                {
                    _ = item.GetString();
                }
            }

            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
