using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AlertHub.Core.Crypto;

/// <summary>
/// P-256 ECDH straight on libcrypto's point arithmetic (<c>EC_POINT_mul</c>, the constant-time nistz256 code
/// on x86-64), the same library .NET's own crypto calls on Linux. It skips what makes <see cref="ECDiffieHellman"/>
/// slow for one-shot keys: an order check on every imported key and provider objects per operation. A peer
/// point is still checked to lie on the curve, which is all P-256 (cofactor 1) needs against invalid-curve attacks.
/// </summary>
public sealed unsafe class OpenSslP256KeyAgreement : P256KeyAgreement
{
    private const int NidPrime256V1 = 415;
    private const int PointConversionUncompressed = 4;
    private const int BnFlagConstTime = 0x04;

    // The group order n, big-endian: private scalars must lie in [1, n-1].
    private static readonly byte[] Order = Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");

    private static readonly Lazy<OpenSslP256KeyAgreement?> Shared = new(TryCreate);

    /// <summary>The libcrypto path (built once per process), or null where libcrypto is not there or fails a self-check against .NET's result.</summary>
    public static OpenSslP256KeyAgreement? Instance => Shared.Value;

    private readonly Functions _f;

    // One group for the process: OpenSSL treats an EC_GROUP as read-only once built, so threads share it.
    private readonly nint _group;

    private OpenSslP256KeyAgreement(Functions functions, nint group)
    {
        _f = functions;
        _group = group;
    }

    public override string Name => "OpenSSL libcrypto EC_POINT";

    private static OpenSslP256KeyAgreement? TryCreate()
    {
        if (!OperatingSystem.IsLinux() || !TryLoad(out var functions))
        {
            return null;
        }

        var group = functions.GroupNewByCurveName(NidPrime256V1);
        if (group == 0)
        {
            return null;
        }

        var candidate = new OpenSslP256KeyAgreement(functions, group);
        return candidate.AgreesWithManaged() ? candidate : null;
    }

    public override void AgreeWithNewKey(ReadOnlySpan<byte> peerPublic, Span<byte> ownPublic, Span<byte> secret)
    {
        CheckLengths(peerPublic, ownPublic.Length, secret.Length);
        Span<byte> scalar = stackalloc byte[ScalarLength];
        do
        {
            RandomNumberGenerator.Fill(scalar);
        }
        while (!IsValidScalar(scalar)); // rejects with probability ~2^-32

        try
        {
            Multiply(scalar, peerPublic, ownPublic, secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    public override void Agree(ReadOnlySpan<byte> privateScalar, ReadOnlySpan<byte> ownPublic, ReadOnlySpan<byte> peerPublic, Span<byte> secret)
    {
        CheckLengths(peerPublic, ownPublic.Length, secret.Length);
        if (privateScalar.Length != ScalarLength || !IsValidScalar(privateScalar))
        {
            throw new CryptographicException("The private key must be a 32-byte scalar in [1, n-1].");
        }

        Multiply(privateScalar, peerPublic, ownPublic: default, secret);
    }

    public override bool IsOnCurve(ReadOnlySpan<byte> point)
    {
        if (point.Length != PointLength || point[0] != 0x04)
        {
            return false;
        }

        var p = _f.PointNew(_group);
        try
        {
            return p != 0 && Decode(point, p);
        }
        finally
        {
            _f.PointFree(p);
        }
    }

    /// <summary>Writes d·G to <paramref name="ownPublic"/> (when asked) and the x-coordinate of d·Q to <paramref name="secret"/>.</summary>
    private void Multiply(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> peerPublic, Span<byte> ownPublic, Span<byte> secret)
    {
        nint d = 0, peer = 0, shared = 0, own = 0;
        try
        {
            fixed (byte* s = scalar)
            {
                d = _f.BnBin2Bn(s, ScalarLength, 0);
            }

            peer = _f.PointNew(_group);
            shared = _f.PointNew(_group);
            if (d == 0 || peer == 0 || shared == 0)
            {
                throw Failure("out of memory");
            }

            _f.BnSetFlags(d, BnFlagConstTime);
            if (!Decode(peerPublic, peer))
            {
                throw Failure("The peer key is not a point on P-256.");
            }

            if (!ownPublic.IsEmpty)
            {
                own = _f.PointNew(_group);
                if (own == 0 || _f.PointMul(_group, own, d, 0, 0, 0) != 1 || !Encode(own, ownPublic))
                {
                    throw Failure("public key computation failed");
                }
            }

            Span<byte> point = stackalloc byte[PointLength];
            if (_f.PointMul(_group, shared, 0, peer, d, 0) != 1 || !Encode(shared, point))
            {
                throw Failure("key agreement failed");
            }

            point[1..33].CopyTo(secret);
            CryptographicOperations.ZeroMemory(point);
        }
        finally
        {
            _f.PointFree(own);
            _f.PointFree(shared);
            _f.PointFree(peer);
            _f.BnClearFree(d);
        }
    }

    private bool Decode(ReadOnlySpan<byte> encoded, nint point)
    {
        int decoded;
        fixed (byte* e = encoded)
        {
            decoded = _f.PointOct2Point(_group, point, e, (nuint)encoded.Length, 0);
        }

        if (decoded != 1 || _f.PointIsOnCurve(_group, point, 0) != 1)
        {
            _f.ErrClearError();
            return false;
        }

        return true;
    }

    private bool Encode(nint point, Span<byte> destination)
    {
        nuint written;
        fixed (byte* d = destination)
        {
            written = _f.PointPoint2Oct(_group, point, PointConversionUncompressed, d, PointLength, 0);
        }

        return written == PointLength; // the point at infinity encodes as one byte
    }

    private CryptographicException Failure(string message)
    {
        // Leave nothing in this thread's OpenSSL error queue for .NET's own crypto calls to trip over.
        _f.ErrClearError();
        return new CryptographicException(message);
    }

    private static bool IsValidScalar(ReadOnlySpan<byte> scalar) =>
        scalar.IndexOfAnyExcept((byte)0) >= 0 && scalar.SequenceCompareTo(Order) < 0;

    /// <summary>One agreement with a fixed key pair both ways must give .NET's answer, or this path is not used.</summary>
    private bool AgreesWithManaged()
    {
        try
        {
            using var a = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var parameters = a.ExportParameters(includePrivateParameters: true);
            Span<byte> aPublic = stackalloc byte[PointLength];
            aPublic[0] = 0x04;
            parameters.Q.X.AsSpan().CopyTo(aPublic[1..]);
            parameters.Q.Y.AsSpan().CopyTo(aPublic[33..]);

            Span<byte> bPublic = stackalloc byte[PointLength];
            Span<byte> ours = stackalloc byte[SecretLength];
            Span<byte> theirs = stackalloc byte[SecretLength];
            AgreeWithNewKey(aPublic, bPublic, ours);
            ManagedP256KeyAgreement.Instance.Agree(parameters.D, aPublic, bPublic, theirs);
            CryptographicOperations.ZeroMemory(parameters.D);
            return ours.SequenceEqual(theirs);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool TryLoad(out Functions functions)
    {
        functions = default;
        nint library = 0;
        foreach (var name in (string[])["libcrypto.so.3", "libcrypto.so.1.1"])
        {
            if (NativeLibrary.TryLoad(name, out library))
            {
                break;
            }
        }

        if (library == 0)
        {
            return false;
        }

        nint Export(string name) => NativeLibrary.TryGetExport(library, name, out var address) ? address : 0;
        var exports = new[]
        {
            Export("EC_GROUP_new_by_curve_name"), Export("EC_POINT_new"), Export("EC_POINT_free"), Export("EC_POINT_mul"),
            Export("EC_POINT_oct2point"), Export("EC_POINT_point2oct"), Export("EC_POINT_is_on_curve"), Export("BN_bin2bn"),
            Export("BN_set_flags"), Export("BN_clear_free"), Export("ERR_clear_error"),
        };
        if (Array.IndexOf(exports, (nint)0) >= 0)
        {
            return false;
        }

        functions = new Functions
        {
            GroupNewByCurveName = (delegate* unmanaged<int, nint>)exports[0],
            PointNew = (delegate* unmanaged<nint, nint>)exports[1],
            PointFreeRaw = (delegate* unmanaged<nint, void>)exports[2],
            PointMul = (delegate* unmanaged<nint, nint, nint, nint, nint, nint, int>)exports[3],
            PointOct2Point = (delegate* unmanaged<nint, nint, byte*, nuint, nint, int>)exports[4],
            PointPoint2Oct = (delegate* unmanaged<nint, nint, int, byte*, nuint, nint, nuint>)exports[5],
            PointIsOnCurve = (delegate* unmanaged<nint, nint, nint, int>)exports[6],
            BnBin2Bn = (delegate* unmanaged<byte*, int, nint, nint>)exports[7],
            BnSetFlags = (delegate* unmanaged<nint, int, void>)exports[8],
            BnClearFreeRaw = (delegate* unmanaged<nint, void>)exports[9],
            ErrClearError = (delegate* unmanaged<void>)exports[10],
        };
        return true;
    }

    /// <summary>The libcrypto entry points used, resolved once.</summary>
    private struct Functions
    {
        public delegate* unmanaged<int, nint> GroupNewByCurveName;
        public delegate* unmanaged<nint, nint> PointNew;
        public delegate* unmanaged<nint, void> PointFreeRaw;
        public delegate* unmanaged<nint, nint, nint, nint, nint, nint, int> PointMul;
        public delegate* unmanaged<nint, nint, byte*, nuint, nint, int> PointOct2Point;
        public delegate* unmanaged<nint, nint, int, byte*, nuint, nint, nuint> PointPoint2Oct;
        public delegate* unmanaged<nint, nint, nint, int> PointIsOnCurve;
        public delegate* unmanaged<byte*, int, nint, nint> BnBin2Bn;
        public delegate* unmanaged<nint, int, void> BnSetFlags;
        public delegate* unmanaged<nint, void> BnClearFreeRaw;
        public delegate* unmanaged<void> ErrClearError;

        public readonly void PointFree(nint point)
        {
            if (point != 0)
            {
                PointFreeRaw(point);
            }
        }

        public readonly void BnClearFree(nint number)
        {
            if (number != 0)
            {
                BnClearFreeRaw(number);
            }
        }
    }
}
