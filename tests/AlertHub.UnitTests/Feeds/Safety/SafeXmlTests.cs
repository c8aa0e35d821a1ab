using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AlertHub.Core.Feeds;

namespace AlertHub.UnitTests.Feeds.Safety;

public sealed class SafeXmlTests
{
    private static readonly Lazy<byte[]> HundredMegabytes = new(() => new byte[100 * 1024 * 1024]);

    [Fact]
    public void ExternalEntity_FileAndHttp_IsDtdForbiddenAndNothingIsFetched()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var xml = $"""
            <?xml version="1.0"?>
            <!DOCTYPE alert [
              <!ENTITY passwd SYSTEM "file:///etc/passwd">
              <!ENTITY remote SYSTEM "http://127.0.0.1:{port}/xxe">
            ]>
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&passwd;&remote;</identifier></alert>
            """;

        var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(Encoding.UTF8.GetBytes(xml)));

        Assert.Equal("feeds.xml_dtd_forbidden", ex.Code);
        Assert.DoesNotContain("root:", ex.Message, StringComparison.Ordinal);
        Assert.False(listener.Pending()); // no connection was ever attempted
    }

    [Theory]
    [InlineData("<!DOCTYPE a SYSTEM \"http://127.0.0.1:9/a.dtd\"><a/>")]
    [InlineData("<?xml version=\"1.0\"?>\n<!-- a comment first -->\n<?pi data?>\n<!DOCTYPE a [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><a/>")]
    [InlineData("\uFEFF<!DOCTYPE a><a/>")]
    public void Doctype_AnywhereInTheProlog_IsDtdForbidden(string xml)
    {
        var ex = Assert.Throws<FeedRejectedException>(() => SafeXml.Load(Encoding.UTF8.GetBytes(xml)));

        Assert.Equal("feeds.xml_dtd_forbidden", ex.Code);
    }

    [Fact]
    public void BillionLaughs_IsDtdForbiddenQuickly()
    {
        var sb = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
        for (var i = 1; i <= 9; i++)
        {
            sb.Append(" <!ENTITY lol").Append(i).Append(" \"");
            for (var j = 0; j < 10; j++)
            {
                sb.Append("&lol").Append(i == 1 ? "" : (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(';');
            }

            sb.Append("\">\n");
        }

        sb.Append("]>\n<lolz>&lol9;</lolz>");
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        var watch = Stopwatch.StartNew();

        var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes));

        Assert.Equal("feeds.xml_dtd_forbidden", ex.Code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
    }

    [Fact]
    public void HundredMegabyteDocument_IsTooLargeBeforeAnyDecoding()
    {
        var document = HundredMegabytes.Value;
        var watch = Stopwatch.StartNew();

        var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(document));

        Assert.Equal("feeds.too_large", ex.Code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
    }

    [Fact]
    public void SizeLimit_IsInclusive()
    {
        var bytes = Encoding.UTF8.GetBytes("<a>" + new string('x', 93) + "</a>");
        Assert.Equal(100, bytes.Length);

        Assert.Equal("a", SafeXml.Load(bytes, new SafeXmlOptions(MaxBytes: 100)).Root!.Name.LocalName);
        Assert.Equal("feeds.too_large", Assert.Throws<FeedRejectedException>(() => SafeXml.Load(bytes, new SafeXmlOptions(MaxBytes: 99))).Code);
    }

    [Fact]
    public void TenThousandDeepNesting_IsTooDeep()
    {
        var xml = string.Concat(Enumerable.Repeat("<a>", 10_000)) + string.Concat(Enumerable.Repeat("</a>", 10_000));

        var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(Encoding.UTF8.GetBytes(xml)));

        Assert.Equal("feeds.too_deep", ex.Code);
    }

    [Fact]
    public void DepthLimit_CountsElementLevels()
    {
        static byte[] Nested(int levels) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("<a>", levels)) + "text" + string.Concat(Enumerable.Repeat("</a>", levels)));

        Assert.NotNull(SafeXml.Load(Nested(64)));
        Assert.Equal("feeds.too_deep", Assert.Throws<FeedRejectedException>(() => SafeXml.Load(Nested(65))).Code);
        Assert.NotNull(SafeXml.Load(Nested(5), new SafeXmlOptions(MaxDepth: 5)));
    }

    [Theory]
    [InlineData("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>abc</ident")]
    [InlineData("<a><b></a>")]
    [InlineData("<a>&undeclared;</a>")]
    [InlineData("<a>\0</a>")]
    [InlineData("hello world")]
    [InlineData("   ")]
    [InlineData("")]
    public void MalformedOrTruncated_IsXmlMalformed(string xml)
    {
        var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(Encoding.UTF8.GetBytes(xml)));

        Assert.Equal("feeds.xml_malformed", ex.Code);
    }

    [Fact]
    public void DeclaredShiftJisWithInvalidBytes_IsEncodingInvalid()
    {
        var bytes = Encoding.ASCII.GetBytes("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a>").Concat(new byte[] { 0x81, 0x20 }).Concat(Encoding.ASCII.GetBytes("</a>")).ToArray();

        Assert.Equal("feeds.encoding_invalid", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes)).Code);
    }

    [Fact]
    public void ValidShiftJis_IsDecoded()
    {
        var sjis = System.Text.CodePagesEncodingProvider.Instance.GetEncoding(932)!;
        var bytes = sjis.GetBytes("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a>横手市　避難指示</a>");

        Assert.Equal("横手市　避難指示", SafeXml.Load(bytes).Root!.Value);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })] // bad continuation
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // a UTF-16 surrogate encoded in UTF-8
    [InlineData(new byte[] { 0xFF })]
    public void InvalidUtf8_IsEncodingInvalid(byte[] bad)
    {
        var bytes = Encoding.ASCII.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>").Concat(bad).Concat(Encoding.ASCII.GetBytes("</a>")).ToArray();

        Assert.Equal("feeds.encoding_invalid", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes)).Code);
        Assert.Equal("feeds.encoding_invalid", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes.AsMemory(38))).Code); // no declaration: UTF-8 by default
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\" encoding=\"x-bogus-42\"?><a/>")]
    [InlineData("<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>")]
    [InlineData("<?xml version=\"1.0\" encoding=\"UTF-7\"?><a/>")]
    public void UnsupportedOrContradictoryDeclaredEncoding_IsEncodingInvalid(string xml)
    {
        Assert.Equal("feeds.encoding_invalid", Assert.Throws<FeedRejectedException>(() => SafeXml.Load(Encoding.ASCII.GetBytes(xml))).Code);
    }

    [Fact]
    public void Utf8BomDeclaringShiftJis_IsEncodingInvalid()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.ASCII.GetBytes("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a/>")).ToArray();

        Assert.Equal("feeds.encoding_invalid", Assert.Throws<FeedRejectedException>(() => SafeXml.Load(bytes)).Code);
    }

    [Fact]
    public void BomCrlfAndUtf16_AreAccepted()
    {
        var crlf = "<?xml version='1.0' encoding='UTF-8'?>\r\n<a>\r\n  <b>横手</b>\r\n</a>\r\n";
        var withBom = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(crlf)).ToArray();
        var utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-16\"?><a><b>横手</b></a>")).ToArray();
        var utf16NoBom = Encoding.BigEndianUnicode.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-16\"?><a><b>横手</b></a>");

        Assert.Equal("横手", SafeXml.Load(withBom).Root!.Element("b")!.Value);
        Assert.Equal("横手", SafeXml.Load(utf16).Root!.Element("b")!.Value);
        Assert.Equal("横手", SafeXml.Load(utf16NoBom).Root!.Element("b")!.Value);
    }

    [Fact]
    public void RandomGarbage_FixedSeeds_IsAlwaysRejectedAsMalformedOrEncoding()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);

            var ex = Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes));

            Assert.Contains(ex.Code, new[] { "feeds.xml_malformed", "feeds.encoding_invalid" });
        }
    }

    [Theory]
    [InlineData("<rss version=\"2.0\"><channel/></rss>")]
    [InlineData("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>")]
    [InlineData("<Report xmlns=\"http://example.com/not-jma\"/>")]
    [InlineData("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/></s:Envelope>")]
    public void WellFormedButUnknown_IsUnrecognized(string xml)
    {
        Assert.Equal("feeds.unrecognized", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(Encoding.UTF8.GetBytes(xml))).Code);
    }

    [Fact]
    public void JmaRoot_GoesToTheJmaParser()
    {
        var bytes = Encoding.UTF8.GetBytes("<Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\"><Control/></Report>");

        // The JMA parser (another branch) owns the outcome; here only the routing and the exception type are ours.
        var ex = Record.Exception(() => FeedParser.Parse(bytes));

        Assert.True(ex is null or FeedRejectedException, ex?.GetType().Name);
        Assert.Equal("feeds.unrecognized", Assert.Throws<FeedRejectedException>(() => FeedParser.Parse(bytes, FeedSource.Cap)).Code);
    }
}
