using AlertHub.Core.Feeds;

namespace AlertHub.UnitTests.Feeds.LAlert;

/// <summary>
/// 地区 written the way the L-Alert test node writes them (a name and the municipality's jisX0402, a 12-digit town code only
/// where one exists), a whole-municipality order, and shelter head counts.
/// </summary>
public sealed class LAlertParserDistrictTests
{
    private static string NamedDistrict(string name, string sort = "避難指示", string issueOrLift = "発令") =>
        $"""
        <ev:Detail><ev:Sort>{sort}</ev:Sort><ev:IssueOrLift>{issueOrLift}</ev:IssueOrLift>
          <ev:Areas><ev:Area><eb:Location><c:areaName>{name}</c:areaName><c:jisX0402>052035</c:jisX0402></eb:Location>
            <ev:DateTime>2024-07-01T09:50:00+09:00</ev:DateTime></ev:Area></ev:Areas></ev:Detail>
        """;

    [Fact]
    public void Parse_NamedDistrictsCarryingTheCityCode_StayOneAreaEach()
    {
        var body = NamedDistrict("横手地区") + NamedDistrict("増田地区") + NamedDistrict("平鹿地区", "高齢者等避難");

        var e = FeedParser.Parse(new LAlertDocument { Body = body }.ToBytes());

        var districts = e.Areas.Where(a => a.Scheme == "name").ToDictionary(a => a.Name!);
        Assert.Equal(["増田地区", "平鹿地区", "横手地区"], districts.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(3, districts.Count);
        Assert.All(districts.Values, d => Assert.Equal(("05203", "発令"), (d.Municipality, d.Status)));
        Assert.Equal(["避難指示"], districts["増田地区"].Kinds);
        Assert.Equal(4, districts["増田地区"].AlertLevel);
        Assert.Equal(["高齢者等避難"], districts["平鹿地区"].Kinds);
        Assert.Equal(3, districts["平鹿地区"].AlertLevel);
        var city = Assert.Single(e.Areas, a => a.Scheme == "jis6");
        Assert.Null(city.Status); // the envelope's targetArea: the municipality itself, not ordered as a whole
    }

    [Fact]
    public void Parse_WholeMunicipalityOrdered_GradesTheCityArea()
    {
        var body = """
            <ev:Detail><ev:Sort>緊急安全確保</ev:Sort><ev:IssueOrLift>発令</ev:IssueOrLift>
              <ev:Areas><ev:Area><eb:Location><c:areaName>秋田県横手市</c:areaName><c:jisX0402>052035</c:jisX0402></eb:Location>
                <ev:DateTime>2024-07-01T09:50:00+09:00</ev:DateTime></ev:Area></ev:Areas></ev:Detail>
            """;

        var e = FeedParser.Parse(new LAlertDocument { Body = body }.ToBytes());

        var city = Assert.Single(e.Areas);
        Assert.Equal(("jis6", "052035", "05203"), (city.Scheme, city.Code, city.Municipality));
        Assert.Equal(("発令", EventSeverity.Extreme, 5), (city.Status, city.Severity, city.AlertLevel));
        Assert.Equal(["緊急安全確保"], city.Kinds);
    }

    [Fact]
    public void Parse_ShelterHeadCount_IsKeptWithTheShelter()
    {
        const string body = """
            <sh:Informations><sh:Information>
              <sh:Location><c:areaName>横手体育館</c:areaName><c:jisX0402>052035</c:jisX0402></sh:Location>
              <sh:Type>避難所</sh:Type><sh:Sort>開設</sh:Sort><sh:Capacity>200</sh:Capacity><sh:Status>混雑</sh:Status>
              <sh:NumberOf><sh:HeadCount>152</sh:HeadCount></sh:NumberOf>
            </sh:Information></sh:Informations>
            """;

        var e = FeedParser.Parse(new LAlertDocument { Category = "Shelter", Body = body }.ToBytes());

        var gym = Assert.Single(e.Areas, a => a.Name == "横手体育館");
        Assert.Equal(["避難所", "混雑", "定員200", "避難者数152"], gym.Kinds);
    }
}
