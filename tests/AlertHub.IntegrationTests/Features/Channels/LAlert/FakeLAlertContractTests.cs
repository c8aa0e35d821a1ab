using System.Text;
using AlertHub.MobileSim.Peers.LAlert;
using AlertHub.Server.Features.Delivery.Channels.LAlert;

namespace AlertHub.IntegrationTests.Features.Channels.LAlert;

/// <summary>What the fake Lアラート refuses, as the reference says the real one does (documents written by the hub's own writer, then spoiled).</summary>
public sealed class FakeLAlertContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset At = DateTimeOffset.UtcNow;
    private static readonly LAlertPublisherInfo Who = LAlertPublisherInfo.From(new LAlertOptions { SenderId = "bousai.city.yokote.test" });
    private static readonly Dictionary<string, int> Levels = new() { ["避難指示"] = 4 };
    private readonly FakeLAlert _fake = new();

    public Task InitializeAsync() => _fake.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private static string Document(int revision = 1, string type = "Report", string documentId = "11111111-2222-4333-8444-555555555555", string sort = "避難指示",
        string? town = null)
    {
        var header = new LAlertHeader(documentId, revision, type, "Actual", Guid.NewGuid().ToString(), At, At, "秋田県横手市 避難情報", "避難指示 発令", "洪水");
        var district = new LAlertDistrict("d", "前郷地区", null, town, 39.3, 140.55);
        return Encoding.UTF8.GetString(LAlertDocumentWriter.Evacuation(header, Who, [new EvacuationEntry(district, sort, true, At)], Levels));
    }

    private async Task<string> PostAsync(string distribution, string node = "primary") =>
        (await _fake.PostRawAsync(node, Encoding.UTF8.GetBytes(_fake.Envelope(distribution)))).Body;

    private static string Code(string answer) => System.Text.RegularExpressions.Regex.Match(answer, "<code>(\\d+)</code>").Groups[1].Value;

    [Fact]
    public async Task Publish_WellFormedDocument_IsAcceptedWithCode0()
    {
        Assert.Equal("0", Code(await PostAsync(Document())));
        Assert.Single(_fake.Received);
    }

    [Fact]
    public async Task Publish_NotXmlOrNotSoap_IsASoapFault()
    {
        var (status, body) = await _fake.PostRawAsync("primary", "<<<not xml"u8.ToArray());
        Assert.Equal(500, status);
        Assert.Contains("soap:Client", body, StringComparison.Ordinal);

        var (status2, _) = await _fake.PostRawAsync("primary", Encoding.UTF8.GetBytes(_fake.Envelope(Document())), soapAction: false);
        Assert.Equal(500, status2);
        Assert.Empty(_fake.Received);
    }

    [Fact]
    public async Task Publish_TwoDistributionsOrNone_Is402()
    {
        Assert.Equal("402", Code(await PostAsync(Document() + Document(documentId: "99999999-2222-4333-8444-555555555555"))));
        Assert.Equal("402", Code(await PostAsync("<x/>")));
    }

    [Theory]
    [InlineData("<edxlde:distributionStatus>Actual</edxlde:distributionStatus><edxlde:distributionType>", "<edxlde:distributionStatus>Real</edxlde:distributionStatus><edxlde:distributionType>")]
    [InlineData("<commons:jisX0402>052035</commons:jisX0402></commons:targetArea>", "<commons:jisX0402>052030</commons:jisX0402></commons:targetArea>")] // wrong check digit
    [InlineData("<edxlde:combinedConfidentiality>UNCLASSIFIED AND NOT SENSITIVE</edxlde:combinedConfidentiality>", "")]
    [InlineData("<pcx:Title>EvacuationOrder</pcx:Title>", "<pcx:Title>Shelter</pcx:Title>")] // Control/Title ≠ category
    [InlineData("<pcx_ev:Sort>避難指示</pcx_ev:Sort>", "<pcx_ev:Sort>避難命令</pcx_ev:Sort>")] // not a 発令区分
    [InlineData("<pcx_ev:IssueOrLift>発令</pcx_ev:IssueOrLift>", "<pcx_ev:IssueOrLift>継続</pcx_ev:IssueOrLift>")]
    public async Task Publish_WrongEnvelopeOrCodes_Is402(string from, string to)
    {
        var document = Document();
        Assert.Contains(from, document, StringComparison.Ordinal);

        Assert.Equal("402", Code(await PostAsync(document.Replace(from, to, StringComparison.Ordinal))));
        Assert.Empty(_fake.Received);
    }

    [Fact]
    public async Task Publish_TownCodeOfAnotherMunicipality_Is402() =>
        Assert.Equal("402", Code(await PostAsync(Document(town: "131010001001"))));

    [Fact]
    public async Task Publish_LifecycleBroken_Is402()
    {
        Assert.Equal("402", Code(await PostAsync(Document(2, "Update"))));            // Update of an unknown document
        Assert.Equal("402", Code(await PostAsync(Document(2, "Report"))));            // a Report starts at 1
        Assert.Equal("0", Code(await PostAsync(Document())));
        Assert.Equal("402", Code(await PostAsync(Document(3, "Update"))));            // revision 2 skipped
        Assert.Equal("0", Code(await PostAsync(Document(2, "Cancel"))));
        Assert.Equal("402", Code(await PostAsync(Document(3, "Update"))));            // nothing after a Cancel
        Assert.Equal("0", Code(await PostAsync(Document(), node: "backup")));         // the other node has its own copy
    }

    [Fact]
    public async Task Publish_SameBytesAgain_IsADuplicateNotANewRevision_OtherBytesUnderTheSameIdAreRefused()
    {
        var document = Document();
        Assert.Equal("0", Code(await PostAsync(document)));
        Assert.Equal("0", Code(await PostAsync(document)));
        Assert.Equal(1, _fake.Duplicates);
        Assert.Single(_fake.Received);

        var id = System.Text.RegularExpressions.Regex.Match(document, "<edxlde:distributionID>([^<]+)").Groups[1].Value;
        var update = Document(2, "Update");
        var other = update.Replace(System.Text.RegularExpressions.Regex.Match(update, "<edxlde:distributionID>([^<]+)").Groups[1].Value, id, StringComparison.Ordinal);
        Assert.Equal("402", Code(await PostAsync(other)));
    }

    [Fact]
    public async Task Publish_BadCredentialsStaleOrReplayedToken_IsFailedAuthentication()
    {
        var (_, wrongPassword) = await _fake.PostRawAsync("primary", Encoding.UTF8.GetBytes(_fake.Envelope(Document(), password: "not-the-password")));
        var (_, stale) = await _fake.PostRawAsync("primary", Encoding.UTF8.GetBytes(_fake.Envelope(Document(), created: DateTimeOffset.UtcNow.AddHours(-1))));
        var nonce = new byte[16];
        nonce[0] = 7;
        var (_, first) = await _fake.PostRawAsync("primary", Encoding.UTF8.GetBytes(_fake.Envelope(Document(), nonce: nonce)));
        var (_, replayed) = await _fake.PostRawAsync("primary", Encoding.UTF8.GetBytes(_fake.Envelope(Document(documentId: "99999999-2222-4333-8444-555555555555"), nonce: nonce)));

        Assert.Contains("FailedAuthentication", wrongPassword, StringComparison.Ordinal);
        Assert.Contains("FailedAuthentication", stale, StringComparison.Ordinal);
        Assert.Equal("0", Code(first));
        Assert.Contains("FailedAuthentication", replayed, StringComparison.Ordinal);
    }

    [Fact]
    public void PasswordDigest_HubAndFakeAgree() =>
        Assert.Equal(FakeLAlert.Digest([1, 2, 3], "2026-07-01T00:00:00Z", "pw"), LAlertSoapClient.PasswordDigest([1, 2, 3], "2026-07-01T00:00:00Z", "pw"));
}
