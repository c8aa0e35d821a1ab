using System.Text;
using AlertHub.Core.Feeds;
using AlertHub.Core.Feeds.Atom;
using AlertHub.Tests.Shared;

namespace AlertHub.UnitTests.Feeds.Atom;

public sealed class AtomFeedTests
{
    private const long TenMegabytes = 10 * 1024 * 1024;

    private static AtomFeedDocument ParseFixture(string name)
    {
        using var file = File.OpenRead(SharedData.Path("fixtures", "feeds", "atom", name)!);
        return AtomFeed.Parse(file, TenMegabytes);
    }

    private static AtomFeedDocument ParseText(string xml, long maxBytes = TenMegabytes) =>
        AtomFeed.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), maxBytes);

    private static string Code(Action parse) => Assert.Throws<FeedRejectedException>(parse).Code;

    [SharedDataFact]
    public void Parse_EqvolShortFeed_ReadsEveryEntryWithUrlIdsAndUtcTimes()
    {
        var feed = ParseFixture("eqvol.xml");

        Assert.Equal("高頻度（地震火山）", feed.Title);
        Assert.Equal("http://www.data.jma.go.jp/developer/xml/feed/eqvol.xml#short_1637708469", feed.Id);
        Assert.Equal("http://www.data.jma.go.jp/developer/xml/feed/eqvol.xml", feed.SelfLink);
        Assert.Equal(new DateTimeOffset(2021, 11, 24, 8, 1, 9, TimeSpan.FromHours(9)), feed.Updated);
        Assert.Equal(TimeSpan.FromHours(9), feed.Updated!.Value.Offset);
        Assert.Equal(25, feed.Entries.Count);
        Assert.Equal(0, feed.SkippedEntries);

        var first = feed.Entries[0];
        Assert.Equal("降灰予報（定時）", first.Title);
        Assert.Equal("http://www.data.jma.go.jp/developer/xml/data/20211123230030_0_VFVO53_010000.xml", first.Id);
        Assert.Equal(first.Id, first.LinkHref);
        Assert.Equal(first.Id, first.DataUrl);
        Assert.Equal("気象庁", first.Author);
        // The name says 23:00:30 but the entry says 23:00:00 — the URL is opaque, the element is the truth.
        Assert.Equal(new DateTimeOffset(2021, 11, 23, 23, 0, 0, TimeSpan.Zero), first.Updated);
        Assert.Equal(TimeSpan.Zero, first.Updated!.Value.Offset);
        Assert.StartsWith("【火山名　阿蘇山　降灰予報（定時）】", first.Content, StringComparison.Ordinal);

        Assert.Equal("http://www.data.jma.go.jp/developer/xml/data/20211123140044_0_VFVO53_010000.xml", feed.Entries[^1].Id);
        Assert.All(feed.Entries, e => Assert.Equal(e.Id, e.DataUrl));
        Assert.Equal(25, feed.Entries.Select(e => e.Id).Distinct().Count());
    }

    [SharedDataFact]
    public void Parse_ExtraLongFeed_Streams3647EntriesWithVpww53And54InPairs()
    {
        var feed = ParseFixture("extra_l.xml");

        Assert.Equal(3647, feed.Entries.Count);
        Assert.Equal("長期（随時）", feed.Title);
        // The long feed's id and self link still name the short feed.
        Assert.Equal("https://www.data.jma.go.jp/developer/xml/feed/extra.xml#long_1657784467", feed.Id);
        Assert.Equal("https://www.data.jma.go.jp/developer/xml/feed/extra.xml", feed.SelfLink);
        Assert.Equal(new DateTimeOffset(2022, 7, 14, 7, 41, 7, TimeSpan.Zero), feed.Updated!.Value.ToUniversalTime());

        Assert.Equal("https://www.data.jma.go.jp/developer/xml/data/20220714074044_0_VPFJ50_080000.xml", feed.Entries[0].Id);
        Assert.Equal("府県気象情報", feed.Entries[0].Title);
        Assert.Equal("水戸地方気象台", feed.Entries[0].Author);
        Assert.Equal(new DateTimeOffset(2022, 7, 14, 7, 40, 43, TimeSpan.Zero), feed.Entries[0].Updated);
        var last = feed.Entries[^1];
        Assert.Equal("https://www.data.jma.go.jp/developer/xml/data/20220707074130_0_VPWW53_440000.xml", last.DataUrl);
        Assert.Equal("気象特別警報・警報・注意報", last.Title);
        Assert.Equal("大分地方気象台", last.Author);

        Assert.Equal(1518, feed.Entries.Count(e => e.Id.Contains("_VPWW53_", StringComparison.Ordinal)));
        Assert.Equal(1518, feed.Entries.Count(e => e.Id.Contains("_VPWW54_", StringComparison.Ordinal)));
        Assert.Equal(1518, feed.Entries.Count(e => e.Title == "気象警報・注意報（Ｈ２７）"));
        Assert.Equal(3647, feed.Entries.Select(e => e.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(feed.Entries, e =>
        {
            Assert.Equal(e.Id, e.LinkHref);
            Assert.Equal(TimeSpan.Zero, e.Updated!.Value.Offset);
        });
    }

    [SharedDataFact]
    public void Parse_NwsCapIndex_UsesSummaryAndKeepsForeignOffsets()
    {
        var feed = ParseFixture("weather_index.atom.xml");

        Assert.Equal(2, feed.Entries.Count);
        var first = feed.Entries[0];
        Assert.Equal("http://www.weather.gov/alerts-beta/wwacapget.php?x=CT20100831030400OKXAirQualityAlertOKX20100901031500CT", first.Id);
        Assert.Equal(first.Id, first.DataUrl);
        Assert.Equal(new DateTimeOffset(2010, 8, 30, 23, 4, 0, TimeSpan.FromHours(-4)), first.Updated);
        Assert.Equal("w-nws.webmaster@noaa.gov", first.Author);
        Assert.StartsWith("...AIR QUALITY ALERT IS IN EFFECT", first.Content, StringComparison.Ordinal);
        Assert.StartsWith("Air Quality Alert issued August 30", first.Title, StringComparison.Ordinal);
        Assert.Equal(new DateTimeOffset(2010, 8, 31, 14, 24, 0, TimeSpan.Zero), feed.Updated);
        Assert.Null(feed.SelfLink);
    }

    [Fact]
    public void Parse_UrnUuidIds_TakesDataUrlFromTheLink()
    {
        var feed = ParseText("""
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom" lang="ja">
              <title>高頻度（随時）</title>
              <updated>2012-03-15T10:00:00+09:00</updated>
              <id>urn:uuid:7d0c0a61-5d1c-3d5e-9d8c-2b4f1c2b0a01</id>
              <link rel="self" href="http://xml.kishou.go.jp/feed/extra.xml"/>
              <entry>
                <title>気象特別警報・警報・注意報</title>
                <id>urn:uuid:0b2e9a44-1c0e-3a1f-8f3d-6c7a2f4e9b10</id>
                <updated>2012-03-15T00:59:00Z</updated>
                <author><name>秋田地方気象台</name></author>
                <link rel="related" href="http://www.jma.go.jp/"/>
                <link type="application/xml" href="http://xml.kishou.go.jp/data/0b2e9a44-1c0e-3a1f-8f3d-6c7a2f4e9b10.xml"/>
                <content type="text">【秋田県気象警報・注意報】大雪警報を発表します。</content>
              </entry>
              <entry>
                <title>リンクのない項目</title>
                <id>urn:uuid:1f1f1f1f-0000-3000-8000-000000000000</id>
                <updated>2012-03-15T01:00:00Z</updated>
              </entry>
            </feed>
            """.TrimStart());

        Assert.Equal(2, feed.Entries.Count);
        var entry = feed.Entries[0];
        Assert.Equal("urn:uuid:0b2e9a44-1c0e-3a1f-8f3d-6c7a2f4e9b10", entry.Id);
        Assert.Equal("http://xml.kishou.go.jp/data/0b2e9a44-1c0e-3a1f-8f3d-6c7a2f4e9b10.xml", entry.LinkHref);
        Assert.Equal(entry.LinkHref, entry.DataUrl);
        Assert.Equal("秋田地方気象台", entry.Author);
        Assert.Equal("【秋田県気象警報・注意報】大雪警報を発表します。", entry.Content);
        Assert.Equal(new DateTimeOffset(2012, 3, 15, 0, 59, 0, TimeSpan.Zero), entry.Updated);
        Assert.Equal(feed.Updated!.Value.UtcDateTime, new DateTime(2012, 3, 15, 1, 0, 0, DateTimeKind.Utc));
        // An opaque id without a link cannot be fetched, but is still reported.
        Assert.Null(feed.Entries[1].DataUrl);
    }

    [Fact]
    public void Parse_EntryWithoutIdOrLink_IsCountedAsSkipped()
    {
        var feed = ParseText("""
            <feed xmlns="http://www.w3.org/2005/Atom">
              <entry><title>nothing to fetch</title></entry>
              <entry><title>link only</title><link href="https://example.org/a.xml"/></entry>
              <entry/>
            </feed>
            """);

        Assert.Equal(2, feed.SkippedEntries);
        var only = Assert.Single(feed.Entries);
        Assert.Equal("https://example.org/a.xml", only.Id);
        Assert.Equal("https://example.org/a.xml", only.DataUrl);
    }

    [Fact]
    public void Parse_XhtmlContentAndForeignElements_AreToleratedAndTextCollected()
    {
        var feed = ParseText("""
            <feed xmlns="http://www.w3.org/2005/Atom" xmlns:x="urn:other">
              <x:thing><x:deep>ignored</x:deep></x:thing>
              <entry>
                <id>https://example.org/1.xml</id>
                <x:extra>ignored</x:extra>
                <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">大雨<b>警報</b></div></content>
              </entry>
            </feed>
            """);

        var entry = Assert.Single(feed.Entries);
        Assert.Equal("大雨警報", entry.Content);
        Assert.Null(entry.Updated);
        Assert.Null(entry.Title);
    }

    [Fact]
    public void Parse_Doctype_IsRejectedAsDtdForbidden()
    {
        const string billionLaughs = """
            <?xml version="1.0"?>
            <!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <feed xmlns="http://www.w3.org/2005/Atom"><title>&b;</title></feed>
            """;
        const string external = """
            <?xml version="1.0"?>
            <!DOCTYPE feed SYSTEM "http://127.0.0.1:9/evil.dtd">
            <feed xmlns="http://www.w3.org/2005/Atom"/>
            """;

        Assert.Equal("feeds.xml_dtd_forbidden", Code(() => ParseText(billionLaughs.TrimStart())));
        Assert.Equal("feeds.xml_dtd_forbidden", Code(() => ParseText(external.TrimStart())));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not xml at all")]
    [InlineData("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>https://example.org/1.xml</id>")]
    [InlineData("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>x</entry></feed>")]
    [InlineData("<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed><feed/>")]
    [InlineData("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>&undefined;</title></feed>")]
    public void Parse_MalformedOrTruncated_IsRejectedAsMalformed(string xml)
    {
        Assert.Equal("feeds.xml_malformed", Code(() => ParseText(xml)));
    }

    [Fact]
    public void Parse_InvalidUtf8_IsRejectedAsMalformed()
    {
        byte[] bytes = [.. "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>"u8, 0xFF, 0xFE, 0xC3, .. "</title></feed>"u8];

        Assert.Equal("feeds.xml_malformed", Code(() => AtomFeed.Parse(new MemoryStream(bytes), TenMegabytes)));
    }

    [Fact]
    public void Parse_NotAnAtomFeed_IsRejectedAsUnrecognized()
    {
        Assert.Equal("feeds.unrecognized", Code(() => ParseText("<feed><entry/></feed>")));
        Assert.Equal("feeds.unrecognized", Code(() => ParseText("<Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\"/>")));
    }

    [Fact]
    public void Parse_OverLimit_IsRejectedAsTooLargeEvenWhenNotSeekable()
    {
        var xml = "<feed xmlns=\"http://www.w3.org/2005/Atom\">" + string.Concat(Enumerable.Repeat("<entry><id>https://example.org/x.xml</id></entry>", 200)) + "</feed>";
        var bytes = Encoding.UTF8.GetBytes(xml);

        Assert.Equal("feeds.too_large", Code(() => AtomFeed.Parse(new MemoryStream(bytes), bytes.Length - 1)));
        Assert.Equal("feeds.too_large", Code(() => AtomFeed.Parse(new NonSeekable(bytes), bytes.Length - 1)));
        Assert.Equal("feeds.too_large", Code(() => AtomFeed.Parse(new NonSeekable(bytes), 100)));
        Assert.Equal(200, AtomFeed.Parse(new NonSeekable(bytes), bytes.Length).Entries.Count);
        Assert.Equal(200, AtomFeed.Parse(bytes, bytes.Length).Entries.Count);
    }

    [Fact]
    public void Parse_DeepNesting_IsRejectedAsTooDeep()
    {
        var xml = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>x</id><content>"
            + string.Concat(Enumerable.Repeat("<a>", 100)) + "t" + string.Concat(Enumerable.Repeat("</a>", 100))
            + "</content></entry></feed>";

        Assert.Equal("feeds.too_deep", Code(() => ParseText(xml)));
    }

    [Fact]
    public void Parse_RandomTruncationsOfARealShapedFeed_ThrowOnlyFeedRejected()
    {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom" lang="ja"><title>t</title><updated>2021-11-24T08:01:09+09:00</updated>
            <entry><title>震源・震度に関する情報</title><id>http://www.data.jma.go.jp/developer/xml/data/20211123192802_0_VXSE53_010000.xml</id>
            <updated>2021-11-23T19:28:02Z</updated><author><name>気象庁</name></author>
            <link type="application/xml" href="http://www.data.jma.go.jp/developer/xml/data/20211123192802_0_VXSE53_010000.xml"/>
            <content type="text">【震源・震度情報】</content></entry></feed>
            """;
        var bytes = Encoding.UTF8.GetBytes(xml);
        for (var length = 0; length < bytes.Length; length++)
        {
            var cut = bytes[..length];
            var code = Code(() => AtomFeed.Parse(cut, TenMegabytes));
            Assert.True(code == "feeds.xml_malformed", $"cut at {length}: {code}");
        }

        Assert.Single(AtomFeed.Parse(bytes, TenMegabytes).Entries);
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
