using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AlertHub.MobileSim.Peers;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>mobile-sim's loopback webhook receiver and its signature check, over real HTTP.</summary>
public sealed class WebhookReceiverTests : IAsyncLifetime
{
    private const string Resident = "sim-000001";
    private const string Secret = "s3cret-for-sim-000001";
    private const string DeliveryId = "a1:1:r1:webhook";

    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"deliveryId":"a1:1:r1:webhook","residentId":"r1","alert":{"alertId":"a1","version":1,"headline":"訓練"}}""");

    private readonly ReceiptLog _log = new();
    private readonly WebhookReceiver _receiver;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public WebhookReceiverTests()
    {
        _receiver = new WebhookReceiver(_log, TimeProvider.System);
        _receiver.AddResident(Resident, Secret);
    }

    public Task InitializeAsync() => _receiver.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public void WebhookReceiver_Start_BindsLoopbackWithARealPort()
    {
        Assert.StartsWith("http://127.0.0.1:", _receiver.BaseAddress, StringComparison.Ordinal);
        Assert.DoesNotContain(":0/", _receiver.BaseAddress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebhookReceiver_GoodSignature_Returns200AndRecordsOneReceipt()
    {
        var status = await PostAsync(Resident, Body, WebhookSignature.Sign(Secret, Body));

        Assert.Equal(HttpStatusCode.OK, status);
        var receipt = Assert.Single(_log.Snapshot());
        Assert.Equal("a1", receipt.AlertId);
        Assert.Equal(1, receipt.Version);
        Assert.Equal(Resident, receipt.ExternalId);
        Assert.Equal(SimChannels.Webhook, receipt.Channel);
        Assert.Equal(0, _log.SignatureFailures);
    }

    [Theory]
    [InlineData("tampered body")]
    [InlineData("other secret")]
    [InlineData("missing header")]
    [InlineData("garbage header")]
    public async Task WebhookReceiver_BadSignature_Returns401AndCountsASignatureFailure(string badness)
    {
        var body = Body;
        string? signature = WebhookSignature.Sign(Secret, Body);
        switch (badness)
        {
            case "tampered body":
                body = (byte[])Body.Clone();
                body[^3] = (byte)'X';
                break;
            case "other secret":
                signature = WebhookSignature.Sign("wrong", Body);
                break;
            case "missing header":
                signature = null;
                break;
            case "garbage header":
                signature = "not base64!";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(badness), badness, "unknown case");
        }

        var status = await PostAsync(Resident, body, signature);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(1, _log.SignatureFailures);
        Assert.Empty(_log.Snapshot());
    }

    [Fact]
    public async Task WebhookReceiver_UnknownResident_Returns404WithoutReceiptOrSignatureFailure()
    {
        var status = await PostAsync("sim-999999", Body, WebhookSignature.Sign(Secret, Body));

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(1, _log.UnknownResident);
        Assert.Equal(0, _log.SignatureFailures);
        Assert.Empty(_log.Snapshot());
    }

    private async Task<HttpStatusCode> PostAsync(string resident, byte[] payload, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _receiver.BaseAddress + resident)
        {
            Content = new ByteArrayContent(payload),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, signature);
        }

        request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryIdHeader, DeliveryId);
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }
}
