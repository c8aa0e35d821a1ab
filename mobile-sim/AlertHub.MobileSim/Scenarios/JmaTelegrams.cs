using System.Text;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// Small JMA telegrams the project writes itself (the structure of 土砂災害警戒情報 VXWW50 and 震源・震度に関する情報
/// VXSE53, for 秋田県 and 横手市), so
/// the feed path can be exercised for Yokote by tests and load runs without the shared fixtures.
/// </summary>
internal static class JmaTelegrams
{
    public sealed record Item(string Code, string Name, string Kind, int KindCode, string Status);

    public static byte[] Landslide(DateTimeOffset dateTime, string infoType, int serial, string status, params Item[] items)
    {
        var xml = new StringBuilder();
        xml.Append($"""
            <?xml version="1.0" encoding="UTF-8"?>
            <Report xmlns="http://xml.kishou.go.jp/jmaxml1/" xmlns:jmx="http://xml.kishou.go.jp/jmaxml1/">
              <Control>
                <Title>土砂災害警戒情報</Title>
                <DateTime>{dateTime.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}</DateTime>
                <Status>{status}</Status>
                <EditorialOffice>秋田地方気象台</EditorialOffice>
                <PublishingOffice>秋田県 秋田地方気象台</PublishingOffice>
              </Control>
              <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/">
                <Title>秋田県土砂災害警戒情報</Title>
                <ReportDateTime>{dateTime.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd'T'HH:mm:sszzz}</ReportDateTime>
                <TargetDateTime>{dateTime.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd'T'HH:mm:sszzz}</TargetDateTime>
                <EventID>秋田県土砂災害警戒情報</EventID>
                <InfoType>{infoType}</InfoType>
                <Serial>{serial}</Serial>
                <InfoKind>土砂災害警戒情報</InfoKind>
                <InfoKindVersion>1.0_0</InfoKindVersion>
                <Headline>
                  <Text>降り続く大雨のため、土砂災害警戒区域等では命に危険が及ぶ土砂災害がいつ発生してもおかしくない非常に危険な状況です。</Text>
                </Headline>
              </Head>
              <Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/">
                <TargetArea>
                  <Name>秋田県</Name>
                  <Code>050000</Code>
                </TargetArea>
                <Warning type="土砂災害警戒情報">
            """);
        foreach (var item in items)
        {
            xml.Append($"""
                      <Item>
                        <Kind>
                          <Name>{item.Kind}</Name>
                          <Code>{item.KindCode}</Code>
                          <Status>{item.Status}</Status>
                        </Kind>
                        <Area>
                          <Name>{item.Name}</Name>
                          <Code>{item.Code}</Code>
                        </Area>
                      </Item>
                """);
        }

        xml.Append("""
                </Warning>
              </Body>
            </Report>
            """);
        return Encoding.UTF8.GetBytes(xml.ToString());
    }

    /// <summary>
    /// A 震源・震度に関する情報 (VXSE53) with one city: 横手市 (0520300) in 秋田県内陸南部 (233) at <paramref name="maxInt"/>
    /// (JMA's codes: 4, 5-, 5+ …). The hypocentre is a made-up one under the 奥羽山脈 east of the city.
    /// </summary>
    public static byte[] Quake(DateTimeOffset dateTime, string status, string eventId, string maxInt = "5-", int serial = 1)
    {
        var jst = dateTime.ToOffset(TimeSpan.FromHours(9));
        var origin = jst.AddMinutes(-4);
        var xml = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <Report xmlns="http://xml.kishou.go.jp/jmaxml1/" xmlns:jmx="http://xml.kishou.go.jp/jmaxml1/">
              <Control>
                <Title>震源・震度に関する情報</Title>
                <DateTime>{dateTime.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}</DateTime>
                <Status>{status}</Status>
                <EditorialOffice>気象庁本庁</EditorialOffice>
                <PublishingOffice>気象庁</PublishingOffice>
              </Control>
              <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/">
                <Title>震源・震度情報</Title>
                <ReportDateTime>{jst:yyyy-MM-dd'T'HH:mm:sszzz}</ReportDateTime>
                <TargetDateTime>{jst:yyyy-MM-dd'T'HH:mm:sszzz}</TargetDateTime>
                <EventID>{eventId}</EventID>
                <InfoType>発表</InfoType>
                <Serial>{serial}</Serial>
                <InfoKind>地震情報</InfoKind>
                <InfoKindVersion>1.0_0</InfoKindVersion>
                <Headline>
                  <Text>{origin:dd}日{origin:HH}時{origin:mm}分ころ、地震がありました。</Text>
                </Headline>
              </Head>
              <Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/seismology1/" xmlns:jmx_eb="http://xml.kishou.go.jp/jmaxml1/elementBasis1/">
                <Earthquake>
                  <OriginTime>{origin:yyyy-MM-dd'T'HH:mm:sszzz}</OriginTime>
                  <ArrivalTime>{origin:yyyy-MM-dd'T'HH:mm:sszzz}</ArrivalTime>
                  <Hypocenter>
                    <Area>
                      <Name>秋田県内陸南部</Name>
                      <Code type="震央地名">233</Code>
                      <jmx_eb:Coordinate description="北緯３９．３度　東経１４０．７度　深さ　１０ｋｍ" datum="日本測地系">+39.3+140.7-10000/</jmx_eb:Coordinate>
                    </Area>
                  </Hypocenter>
                  <jmx_eb:Magnitude type="Mj" description="Ｍ５．８">5.8</jmx_eb:Magnitude>
                </Earthquake>
                <Intensity>
                  <Observation>
                    <CodeDefine>
                      <Type xpath="Pref/Code">地震情報／都道府県等</Type>
                      <Type xpath="Pref/Area/Code">地震情報／細分区域</Type>
                      <Type xpath="Pref/Area/City/Code">気象・地震・火山情報／市町村等</Type>
                      <Type xpath="Pref/Area/City/IntensityStation/Code">震度観測点</Type>
                    </CodeDefine>
                    <MaxInt>{maxInt}</MaxInt>
                    <Pref><Name>秋田県</Name><Code>05</Code><MaxInt>{maxInt}</MaxInt>
                      <Area><Name>秋田県内陸南部</Name><Code>233</Code><MaxInt>{maxInt}</MaxInt>
                        <City><Name>横手市</Name><Code>0520300</Code><MaxInt>{maxInt}</MaxInt>
                          <IntensityStation><Name>横手市中央町＊</Name><Code>0520330</Code><Int>{maxInt}</Int></IntensityStation>
                        </City>
                      </Area>
                    </Pref>
                  </Observation>
                </Intensity>
              </Body>
            </Report>
            """;
        return Encoding.UTF8.GetBytes(xml);
    }

    public static readonly Item YokoteIssued = new("0520300", "横手市", "警戒", 3, "発表");
    public static readonly Item YokoteContinued = new("0520300", "横手市", "警戒", 3, "継続");
    public static readonly Item YokoteLifted = new("0520300", "横手市", "解除", 1, "解除");
    public static readonly Item YuzawaNone = new("0520700", "湯沢市", "なし", 0, "なし");
    public static readonly Item YuzawaIssued = new("0520700", "湯沢市", "警戒", 3, "発表");
}
