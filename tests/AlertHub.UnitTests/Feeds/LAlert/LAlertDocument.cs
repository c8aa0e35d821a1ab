using System.Text;

namespace AlertHub.UnitTests.Feeds.LAlert;

/// <summary>
/// A small L-Alert (EDXL-DE + PCXML v4) document written for these tests — not a copy of any fixture — with the
/// knobs the parser reads. Prefixes are deliberately unusual (<c>ed</c>, <c>c</c>, <c>r</c>, <c>ib</c>, <c>eb</c>, <c>ev</c>).
/// </summary>
internal sealed record LAlertDocument
{
    public string Status { get; init; } = "Actual";
    public string? ControlStatus { get; init; } = "Actual";
    public string? Type { get; init; } = "Report";
    public string Revision { get; init; } = "2";
    public string DocumentId { get; init; } = "0b6c1c5e-yokote-test-0001";
    public string Category { get; init; } = "EvacuationOrder";
    public bool Errata { get; init; }
    public string Body { get; init; } = Detail("避難指示", "発令");
    public string TargetJis { get; init; } = "052035";

    public static string Detail(string sort, string issueOrLift, string town = "052030012000", string name = "横手市中央町", string circle = "39.31372,140.56661,0.5") =>
        $"""
        <ev:Detail><ev:Sort>{sort}</ev:Sort><ev:IssueOrLift>{issueOrLift}</ev:IssueOrLift>
          <ev:Areas><ev:Area><eb:Location><ed:circle>{circle}</ed:circle><c:areaName>{name}</c:areaName>
            <c:jisX0402>052035</c:jisX0402><c:ooAzaTyouTyouMokuCode>{town}</c:ooAzaTyouTyouMokuCode></eb:Location>
            <ev:DateTime>2024-07-01T09:50:00+09:00</ev:DateTime></ev:Area></ev:Areas></ev:Detail>
        """;

    public byte[] ToBytes()
    {
        var controlStatus = ControlStatus is null ? "" : $"<ed:distributionStatus>{ControlStatus}</ed:distributionStatus>";
        var errata = Errata ? "<r:Errata><r:Description>地区名の誤り</r:Description><r:DateTime>2024-07-01T10:05:00+09:00</r:DateTime></r:Errata>" : "";
        var type = Type is null ? "" : $"<ed:distributionType>{Type}</ed:distributionType>";
        var xml = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <ed:EDXLDistribution xmlns:ed="urn:oasis:names:tc:emergency:EDXL:DE:1.0" xmlns:c="http://xml.publiccommons.ne.jp/xml/edxl/">
              <ed:distributionID>dist-{DocumentId}-{Revision}</ed:distributionID>
              <ed:senderID>bousai.city.yokote.test</ed:senderID>
              <ed:dateTimeSent>2024-07-01T10:00:00+09:00</ed:dateTimeSent>
              <ed:distributionStatus>{Status}</ed:distributionStatus>
              {type}
              <ed:language>ja-JP</ed:language>
              <c:targetArea><c:areaName>秋田県横手市</c:areaName><c:jisX0402>{TargetJis}</c:jisX0402></c:targetArea>
              <c:contentObject>
                <ed:contentDescription>横手市 避難情報</ed:contentDescription>
                <ed:xmlContent><ed:embeddedXMLContent>
                  <r:Report xmlns:r="http://xml.publiccommons.ne.jp/pcxml1/4" xmlns:ib="http://xml.publiccommons.ne.jp/pcxml1/informationBasis4/"
                      xmlns:eb="http://xml.publiccommons.ne.jp/pcxml1/elementBasis4/" xmlns:ev="http://xml.publiccommons.ne.jp/pcxml1/body/evacuation4"
                      xmlns:sh="http://xml.publiccommons.ne.jp/pcxml1/body/shelter4">
                    <r:Control><r:Title>{Category}</r:Title>{controlStatus}{errata}</r:Control>
                    <ib:Head>
                      <ib:Title>横手市 避難情報 テスト</ib:Title>
                      <ib:ReportDateTime>2024-07-01T09:55:00+09:00</ib:ReportDateTime>
                      <ib:ValidDateTime>2024-07-02T09:55:00+09:00</ib:ValidDateTime>
                      {type}
                      <c:documentRevision>{Revision}</c:documentRevision>
                      <c:documentID>{DocumentId}</c:documentID>
                      <ib:Headline><ib:Text>横手市が避難情報を発表しました。</ib:Text></ib:Headline>
                    </ib:Head>
                    {(Category is "EvacuationOrder" ? $"<ev:EvacuationOrder>{Body}</ev:EvacuationOrder>" : Category is "Shelter" ? $"<sh:Shelter>{Body}</sh:Shelter>" : "")}
                  </r:Report>
                </ed:embeddedXMLContent></ed:xmlContent>
                <c:documentRevision>{Revision}</c:documentRevision>
                <c:documentID>{DocumentId}</c:documentID>
                <c:category>{Category}</c:category>
                <c:severity>Moderate</c:severity>
              </c:contentObject>
            </ed:EDXLDistribution>
            """;
        return Encoding.UTF8.GetBytes(xml);
    }
}
