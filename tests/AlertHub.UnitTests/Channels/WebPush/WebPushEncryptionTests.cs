using System.Buffers.Text;
using System.Text;
using AlertHub.Server.Features.Delivery.Channels.WebPush;
using AlertHub.UnitTests.Crypto;

namespace AlertHub.UnitTests.Channels.WebPush;

public sealed class WebPushEncryptionTests
{
    // RFC 8291 Appendix A.
    internal const string UaPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    internal const string UaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    internal const string Auth = "BTBZMqHH6r4Tts7J_aSIgg";
    internal const string AsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    internal const string AsPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    internal const string Salt = "DGv6ra1nlYgDCS1FRnbzlw";
    internal const string Plaintext = "When I grow up, I want to be a watermelon";
    internal const string ExpectedBody =
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    private static WebPushKeys UaKeys()
    {
        Assert.True(WebPushKeys.TryParse(UaPublic, Auth, out var keys, out var error), error);
        return keys;
    }

    public static TheoryData<string> Implementations() => new(P256KeyAgreementTests.Implementations().Select(i => i.Name));

    [Theory]
    [MemberData(nameof(Implementations))]
    public void Encrypt_Rfc8291AppendixAVector_MatchesByteForByte(string implementation)
    {
        var agreement = P256KeyAgreementTests.Implementation(implementation);

        var body = WebPushEncryption.Encrypt(Encoding.UTF8.GetBytes(Plaintext), UaKeys(),
            Base64Url.DecodeFromChars(AsPrivate), Base64Url.DecodeFromChars(AsPublic), Base64Url.DecodeFromChars(Salt), agreement);

        Assert.Equal(ExpectedBody, Base64Url.EncodeToString(body));
    }

    [Fact]
    public void Encrypt_FreshKeys_HeaderCarriesSaltRecordSizeAndNewKeyEachTime()
    {
        var plaintext = Encoding.UTF8.GetBytes("避難してください");
        var a = WebPushEncryption.Encrypt(plaintext, UaKeys());
        var b = WebPushEncryption.Encrypt(plaintext, UaKeys());

        Assert.Equal(WebPushEncryption.HeaderLength + plaintext.Length + 1 + 16, a.Length);
        Assert.Equal(new byte[] { 0, 0, 0x10, 0 }, a[16..20]);
        Assert.Equal(65, a[20]);
        Assert.Equal(4, a[21]);
        Assert.NotEqual(a[..16], b[..16]);
        Assert.NotEqual(a[21..86], b[21..86]);
    }

    [Fact]
    public void Encrypt_PlaintextLongerThanOneRecord_Throws()
    {
        Assert.Equal(3993, WebPushEncryption.MaxPlaintextLength);
        WebPushEncryption.Encrypt(new byte[3993], UaKeys());
        Assert.Throws<ArgumentException>(() => WebPushEncryption.Encrypt(new byte[3994], UaKeys()));
    }

    [Theory]
    [InlineData(UaPublic, Auth, true)]
    [InlineData(UaPublic + "=", Auth + "==", true)]
    [InlineData("BCVxsr7N/eNgVRqvHtD0zTZsEc6+VV+JvLexhqUzORcxaOzi6+AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4=", "BTBZMqHH6r4Tts7J/aSIgg==", true)]
    [InlineData("", Auth, false)]
    [InlineData("not base64!", Auth, false)]
    [InlineData("AQID", Auth, false)]
    [InlineData(UaPublic, "BTBZMqHH6r4Tts7J_aSI", false)]
    [InlineData(UaPublic, "", false)]
    public void KeysTryParse_Inputs_AcceptsOnlyPointAndSixteenByteAuth(string p256dh, string auth, bool valid) =>
        Assert.Equal(valid, WebPushKeys.TryParse(p256dh, auth, out _, out _));

    [Fact]
    public void KeysTryParse_PointOffTheCurve_IsRefused()
    {
        var point = Base64Url.DecodeFromChars(UaPublic);
        point[64] ^= 1;

        Assert.False(WebPushKeys.TryParse(Base64Url.EncodeToString(point), Auth, out _, out var error));
        Assert.Contains("not a point on P-256", error, StringComparison.Ordinal);
    }

    [Fact]
    public void KeysTryParse_CompressedPoint_IsRefused()
    {
        var point = Base64Url.DecodeFromChars(UaPublic);
        var compressed = new byte[33];
        compressed[0] = (byte)(2 + (point[64] & 1));
        point.AsSpan(1, 32).CopyTo(compressed.AsSpan(1));

        Assert.False(WebPushKeys.TryParse(Base64Url.EncodeToString(compressed), Auth, out _, out var error));
        Assert.Contains("uncompressed", error, StringComparison.Ordinal);
    }
}
