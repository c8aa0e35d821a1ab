using System.Security.Cryptography;

namespace AlertHub.Core.Crypto;

/// <summary>
/// ECDH on P-256 with keys as raw bytes: 65-byte uncompressed points and 32-byte scalars, the shapes Web Push
/// (RFC 8291) uses. Web Push needs a fresh key pair and one agreement for every message, so this is on the
/// hot path of a fan-out: see <see cref="Default"/> for which implementation runs.
/// </summary>
public abstract class P256KeyAgreement
{
    public const int PointLength = 65;
    public const int ScalarLength = 32;
    public const int SecretLength = 32;

    /// <summary>
    /// The fastest implementation this machine has: OpenSSL's libcrypto point arithmetic where it can be
    /// loaded (Linux), about five times faster per message than going through <see cref="ECDiffieHellman"/>,
    /// which re-validates keys and builds provider objects for every key it touches; .NET's otherwise.
    /// </summary>
    public static P256KeyAgreement Default { get; } = (P256KeyAgreement?)OpenSslP256KeyAgreement.Instance ?? ManagedP256KeyAgreement.Instance;

    /// <summary>Which implementation this is, for logs and benchmark output.</summary>
    public abstract string Name { get; }

    /// <summary>Makes a new key pair, writes its public point to <paramref name="ownPublic"/> and agrees a secret with <paramref name="peerPublic"/>.</summary>
    /// <exception cref="CryptographicException"><paramref name="peerPublic"/> is not a point on P-256.</exception>
    public abstract void AgreeWithNewKey(ReadOnlySpan<byte> peerPublic, Span<byte> ownPublic, Span<byte> secret);

    /// <summary>Agrees a secret (the x-coordinate of d·Q) using an existing private scalar and its public point.</summary>
    /// <exception cref="CryptographicException">The peer point is not on P-256 or the scalar is out of range.</exception>
    public abstract void Agree(ReadOnlySpan<byte> privateScalar, ReadOnlySpan<byte> ownPublic, ReadOnlySpan<byte> peerPublic, Span<byte> secret);

    /// <summary>Whether <paramref name="point"/> is a 65-byte uncompressed point on P-256.</summary>
    public abstract bool IsOnCurve(ReadOnlySpan<byte> point);

    protected static void CheckLengths(ReadOnlySpan<byte> peerPublic, int ownPublicLength, int secretLength)
    {
        if (peerPublic.Length != PointLength || peerPublic[0] != 0x04)
        {
            throw new CryptographicException("The peer key must be a 65-byte uncompressed P-256 point.");
        }

        if (ownPublicLength != PointLength || secretLength != SecretLength)
        {
            throw new ArgumentException("Buffers must hold a 65-byte point and a 32-byte secret.");
        }
    }
}

/// <summary>P-256 through .NET's <see cref="ECDiffieHellman"/>: portable, and the reference the fast path is tested against.</summary>
public sealed class ManagedP256KeyAgreement : P256KeyAgreement
{
    public static ManagedP256KeyAgreement Instance { get; } = new();

    private ManagedP256KeyAgreement()
    {
    }

    public override string Name => ".NET ECDiffieHellman";

    public override void AgreeWithNewKey(ReadOnlySpan<byte> peerPublic, Span<byte> ownPublic, Span<byte> secret)
    {
        CheckLengths(peerPublic, ownPublic.Length, secret.Length);
        using var own = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var q = own.ExportParameters(includePrivateParameters: false).Q;
        ownPublic[0] = 0x04;
        q.X.AsSpan().CopyTo(ownPublic[1..]);
        q.Y.AsSpan().CopyTo(ownPublic[33..]);
        Derive(own, peerPublic, secret);
    }

    public override void Agree(ReadOnlySpan<byte> privateScalar, ReadOnlySpan<byte> ownPublic, ReadOnlySpan<byte> peerPublic, Span<byte> secret)
    {
        CheckLengths(peerPublic, ownPublic.Length, secret.Length);
        using var own = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = privateScalar.ToArray(),
            Q = new ECPoint { X = ownPublic[1..33].ToArray(), Y = ownPublic[33..].ToArray() },
        });
        Derive(own, peerPublic, secret);
    }

    public override bool IsOnCurve(ReadOnlySpan<byte> point)
    {
        if (point.Length != PointLength || point[0] != 0x04)
        {
            return false;
        }

        try
        {
            // Importing validates the point.
            using var key = Import(point);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static void Derive(ECDiffieHellman own, ReadOnlySpan<byte> peerPublic, Span<byte> secret)
    {
        using var peer = Import(peerPublic);
        // PublicKey is a new object each time; disposing it keeps its native handle out of the finalizer queue.
        using var peerKey = peer.PublicKey;
        var raw = own.DeriveRawSecretAgreement(peerKey);
        raw.CopyTo(secret);
        CryptographicOperations.ZeroMemory(raw);
    }

    private static ECDiffieHellman Import(ReadOnlySpan<byte> point) => ECDiffieHellman.Create(new ECParameters
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint { X = point[1..33].ToArray(), Y = point[33..65].ToArray() },
    });
}
