using System.Buffers.Text;
using System.Security.Cryptography;
using AlertHub.Core.Crypto;
using AlertHub.UnitTests.Channels.WebPush;

namespace AlertHub.UnitTests.Crypto;

public sealed class P256KeyAgreementTests
{
    // RFC 8291 Appendix A: the key pairs are in WebPushEncryptionTests; this is the ECDH secret they agree on.
    private const string UaPublic = WebPushEncryptionTests.UaPublic;
    private const string UaPrivate = WebPushEncryptionTests.UaPrivate;
    private const string AsPrivate = WebPushEncryptionTests.AsPrivate;
    private const string AsPublic = WebPushEncryptionTests.AsPublic;
    private const string EcdhSecret = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";

    /// <summary>Every implementation this machine has: .NET's always, libcrypto's where it loads.</summary>
    internal static IEnumerable<P256KeyAgreement> Implementations()
    {
        yield return ManagedP256KeyAgreement.Instance;
        if (OpenSslP256KeyAgreement.Instance is { } native)
        {
            yield return native;
        }
    }

    internal static P256KeyAgreement Implementation(string name) => Implementations().Single(i => i.Name == name);

    public static TheoryData<string> Names() => new(Implementations().Select(i => i.Name));

    [LibcryptoFact]
    public void Default_WhereLibcryptoLoads_IsTheLibcryptoPath()
    {
        // The fan-out budget assumes the fast path; a silent fall back to .NET's would cost ~5x per message.
        Assert.IsType<OpenSslP256KeyAgreement>(P256KeyAgreement.Default);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Agree_Rfc8291AppendixAKeys_GiveTheVectorSecretFromBothSides(string name)
    {
        var agreement = Implementation(name);
        var asSide = new byte[32];
        var uaSide = new byte[32];

        agreement.Agree(Base64Url.DecodeFromChars(AsPrivate), Base64Url.DecodeFromChars(AsPublic), Base64Url.DecodeFromChars(UaPublic), asSide);
        agreement.Agree(Base64Url.DecodeFromChars(UaPrivate), Base64Url.DecodeFromChars(UaPublic), Base64Url.DecodeFromChars(AsPublic), uaSide);

        Assert.Equal(EcdhSecret, Base64Url.EncodeToString(asSide));
        Assert.Equal(EcdhSecret, Base64Url.EncodeToString(uaSide));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void AgreeWithNewKey_RandomPeers_SecretMatchesWhatDotNetDerivesOnThePeerSide(string name)
    {
        var agreement = Implementation(name);
        var seen = new HashSet<string>();
        for (var i = 0; i < 100; i++)
        {
            using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var ownPublic = new byte[65];
            var secret = new byte[32];

            agreement.AgreeWithNewKey(Point(peer), ownPublic, secret);

            using var own = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = ownPublic[1..33], Y = ownPublic[33..] },
            });
            using var ownKey = own.PublicKey;
            Assert.Equal(peer.DeriveRawSecretAgreement(ownKey), secret);
            Assert.True(seen.Add(Convert.ToHexString(ownPublic)), "a new key pair every call");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void AgreeWithNewKey_PointOffTheCurve_IsRefused(string name)
    {
        var agreement = Implementation(name);
        var offCurve = Base64Url.DecodeFromChars(UaPublic);
        offCurve[64] ^= 1;

        Assert.False(agreement.IsOnCurve(offCurve));
        Assert.True(agreement.IsOnCurve(Base64Url.DecodeFromChars(UaPublic)));
        Assert.ThrowsAny<CryptographicException>(() => agreement.AgreeWithNewKey(offCurve, new byte[65], new byte[32]));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void AgreeWithNewKey_CompressedOrShortPoint_IsRefused(string name)
    {
        var agreement = Implementation(name);
        var point = Base64Url.DecodeFromChars(UaPublic);
        var compressed = new byte[33];
        compressed[0] = (byte)(2 + (point[64] & 1));
        point.AsSpan(1, 32).CopyTo(compressed.AsSpan(1));

        Assert.False(agreement.IsOnCurve(compressed));
        Assert.ThrowsAny<CryptographicException>(() => agreement.AgreeWithNewKey(compressed, new byte[65], new byte[32]));
        Assert.ThrowsAny<CryptographicException>(() => agreement.AgreeWithNewKey(point.AsSpan(0, 64), new byte[65], new byte[32]));
    }

    [LibcryptoTheory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")] // n
    [InlineData("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")]
    public void Agree_ScalarOutsideOneToNMinusOne_IsRefused(string scalarHex)
    {
        var native = OpenSslP256KeyAgreement.Instance!;

        Assert.ThrowsAny<CryptographicException>(() => native.Agree(Convert.FromHexString(scalarHex),
            Base64Url.DecodeFromChars(AsPublic), Base64Url.DecodeFromChars(UaPublic), new byte[32]));
    }

    [LibcryptoFact]
    public void OpenSsl_ManyThreadsAtOnce_EveryAgreementStillMatchesDotNet()
    {
        var native = OpenSslP256KeyAgreement.Instance!;
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var peerPoint = Point(peer);
        var results = new (byte[] Public, byte[] Secret)[400];

        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var ownPublic = new byte[65];
            var secret = new byte[32];
            native.AgreeWithNewKey(peerPoint, ownPublic, secret);
            results[i] = (ownPublic, secret);
        });

        foreach (var (ownPublic, secret) in results)
        {
            var expected = new byte[32];
            ManagedP256KeyAgreement.Instance.Agree(peer.ExportParameters(true).D, peerPoint, ownPublic, expected);
            Assert.Equal(expected, secret);
        }
    }

    private static byte[] Point(ECDiffieHellman key)
    {
        var q = key.ExportParameters(includePrivateParameters: false).Q;
        return [0x04, .. q.X!, .. q.Y!];
    }
}

/// <summary>A fact about the libcrypto path, skipped where libcrypto cannot be loaded (not Linux, no OpenSSL).</summary>
internal sealed class LibcryptoFactAttribute : FactAttribute
{
    public LibcryptoFactAttribute()
    {
        if (OpenSslP256KeyAgreement.Instance is null)
        {
            Skip = "libcrypto (OpenSSL 3 or 1.1) is not loadable here";
        }
    }
}

/// <summary>As <see cref="LibcryptoFactAttribute"/>, for theories.</summary>
internal sealed class LibcryptoTheoryAttribute : TheoryAttribute
{
    public LibcryptoTheoryAttribute()
    {
        if (OpenSslP256KeyAgreement.Instance is null)
        {
            Skip = "libcrypto (OpenSSL 3 or 1.1) is not loadable here";
        }
    }
}
