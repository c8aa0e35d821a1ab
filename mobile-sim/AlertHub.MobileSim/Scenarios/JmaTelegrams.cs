using System.Text;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// Small JMA telegrams the project writes itself (the structure of 土砂災害警戒情報 VXWW50, for 秋田県 and 横手市), so
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

    public static readonly Item YokoteIssued = new("0520300", "横手市", "警戒", 3, "発表");
    public static readonly Item YokoteContinued = new("0520300", "横手市", "警戒", 3, "継続");
    public static readonly Item YokoteLifted = new("0520300", "横手市", "解除", 1, "解除");
    public static readonly Item YuzawaNone = new("0520700", "湯沢市", "なし", 0, "なし");
    public static readonly Item YuzawaIssued = new("0520700", "湯沢市", "警戒", 3, "発表");
}
