using System.Security.Cryptography;
using System.Text;
using AlertHub.MobileSim.Peers;

namespace AlertHub.IntegrationTests.MobileSim;

public sealed class WebhookSignatureTests
{
    [Fact]
    public void WebhookSignature_Sign_IsBase64OfHmacSha256OfSecretAndBody()
    {
        const string secret = "s3cret-for-sim-000001";
        var body = Encoding.UTF8.GetBytes("""{"deliveryId":"a1:1:r1:webhook","residentId":"r1","alert":{"alertId":"a1","version":1,"headline":"訓練"}}""");
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

        Assert.Equal(expected, WebhookSignature.Sign(secret, body));
    }
}
