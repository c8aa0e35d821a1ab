using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AlertHub.Server.Features.Delivery.Channels.WebPush;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Infrastructure;
using AlertHub.UnitTests.Targeting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AlertHub.UnitTests.Channels.WebPush;

public sealed class VapidSignerTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alerthub-vapid-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private VapidSigner Signer(WebPushChannelOptions? options = null) =>
        new(Options.Create(options ?? new WebPushChannelOptions()), Options.Create(new HubOptions { PublicBaseUrl = "https://bousai.example.jp" }),
            new StoragePaths(Options.Create(new StorageOptions { DataDirectory = _dir }), new TestHostEnvironment()), _time, NullLogger<VapidSigner>.Instance);

    private static (JsonElement Claims, string K) Verify(string authorization, string publicKey)
    {
        Assert.StartsWith("vapid t=", authorization, StringComparison.Ordinal);
        var parts = authorization["vapid ".Length..].Split(", ");
        var t = parts.Single(p => p.StartsWith("t=", StringComparison.Ordinal))[2..];
        var k = parts.Single(p => p.StartsWith("k=", StringComparison.Ordinal))[2..];
        Assert.Equal(publicKey, k);
        var segments = t.Split('.');
        Assert.Equal("""{"typ":"JWT","alg":"ES256"}""", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(segments[0])));
        var q = Base64Url.DecodeFromChars(k);
        using var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = q[1..33], Y = q[33..] } });
        Assert.True(ecdsa.VerifyData(Encoding.ASCII.GetBytes(segments[0] + "." + segments[1]), Base64Url.DecodeFromChars(segments[2]), HashAlgorithmName.SHA256));
        return (JsonDocument.Parse(Base64Url.DecodeFromChars(segments[1])).RootElement.Clone(), k);
    }

    [Fact]
    public void AuthorizationFor_Endpoint_SignsEs256JwtForTheOriginWithExpiryAndSubject()
    {
        using var signer = Signer(new WebPushChannelOptions { Subject = "mailto:bousai@city.yokote.example" });

        var header = signer.AuthorizationFor(new Uri("https://push.example.net:8443/wpush/v2/abc?x=1"));

        var (claims, _) = Verify(header, signer.PublicKey);
        Assert.Equal("https://push.example.net:8443", claims.GetProperty("aud").GetString());
        Assert.Equal(Start.AddHours(12).ToUnixTimeSeconds(), claims.GetProperty("exp").GetInt64());
        Assert.Equal("mailto:bousai@city.yokote.example", claims.GetProperty("sub").GetString());
    }

    [Fact]
    public void AuthorizationFor_SameOrigin_ReusesTokenUntilHalfLifeThenRenews()
    {
        using var signer = Signer();
        var first = signer.AuthorizationFor(new Uri("https://fcm.googleapis.com/fcm/send/a"));

        Assert.Equal(first, signer.AuthorizationFor(new Uri("https://fcm.googleapis.com/fcm/send/b")));
        Assert.NotEqual(first, signer.AuthorizationFor(new Uri("https://updates.push.services.mozilla.com/wpush/v2/c")));
        _time.Advance(TimeSpan.FromHours(6));
        var renewed = signer.AuthorizationFor(new Uri("https://fcm.googleapis.com/fcm/send/a"));
        Assert.NotEqual(first, renewed);
        var (claims, _) = Verify(renewed, signer.PublicKey);
        Assert.Equal(Start.AddHours(18).ToUnixTimeSeconds(), claims.GetProperty("exp").GetInt64());
        Assert.Equal("https://bousai.example.jp", claims.GetProperty("sub").GetString());
    }

    [Fact]
    public void Constructor_NoConfiguredKey_GeneratesOwnerOnlyFileAndReusesItAfterRestart()
    {
        string publicKey;
        using (var first = Signer())
        {
            publicKey = first.PublicKey;
        }

        var file = Path.Combine(_dir, "webpush-vapid.json");
        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using var second = Signer();
        Assert.Equal(publicKey, second.PublicKey);
        Assert.Equal(65, Base64Url.DecodeFromChars(publicKey).Length);
    }

    [Fact]
    public void Constructor_ConfiguredPrivateKey_DerivesPublicKeyAndWritesNoFile()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(true);
        var expected = Base64Url.EncodeToString([4, .. p.Q.X!, .. p.Q.Y!]);

        using var signer = Signer(new WebPushChannelOptions { VapidPrivateKey = Base64Url.EncodeToString(p.D!), VapidPublicKey = expected });

        Assert.Equal(expected, signer.PublicKey);
        Assert.False(File.Exists(Path.Combine(_dir, "webpush-vapid.json")));
        Verify(signer.AuthorizationFor(new Uri("https://push.example.net/x")), expected);
    }

    [Fact]
    public void Constructor_PublicKeyNotMatchingPrivateKey_Throws()
    {
        using var a = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var b = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pb = b.ExportParameters(false).Q;

        var e = Assert.Throws<InvalidOperationException>(() => Signer(new WebPushChannelOptions
        {
            VapidPrivateKey = Base64Url.EncodeToString(a.ExportParameters(true).D!),
            VapidPublicKey = Base64Url.EncodeToString([4, .. pb.X!, .. pb.Y!]),
        }));
        Assert.Contains("does not belong", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AQID")]
    [InlineData("not base64 !")]
    public void Constructor_MalformedPrivateKey_Throws(string privateKey) =>
        Assert.Throws<InvalidOperationException>(() => Signer(new WebPushChannelOptions { VapidPrivateKey = privateKey }));

    [Fact]
    public void Constructor_TokenLifetimeOver24Hours_Throws() =>
        Assert.Throws<InvalidOperationException>(() => Signer(new WebPushChannelOptions { VapidTokenLifetime = TimeSpan.FromHours(25) }));

}
