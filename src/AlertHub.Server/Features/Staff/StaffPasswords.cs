using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AlertHub.Server.Features.Staff;

/// <summary>
/// Staff password hashes as versioned strings: <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;hash&gt;</c> (base64).
/// The iteration count travels with the hash, so raising <see cref="Iterations"/> later keeps old hashes
/// verifiable and <see cref="NeedsRehash"/> tells sign-in to upgrade them.
/// </summary>
internal static class StaffPasswords
{
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>OWASP's 2023 floor for PBKDF2-HMAC-SHA256.</summary>
    public const int Iterations = 600_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    // Never issued to anyone: verifying against it makes an unknown username cost what a known one does.
    private static readonly Lazy<string> Decoy = new(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Scheme, Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>True only for a well-formed hash of this scheme that matches; malformed or tampered strings never verify.</summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 100_000 || iterations > 10_000_000)
        {
            return false;
        }

        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        if (salt.Length < SaltBytes || expected.Length != HashBytes)
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Spends the same work as a real verification and fails (unknown or disabled users).</summary>
    public static bool VerifyDecoy(string password)
    {
        Verify(password, Decoy.Value);
        return false;
    }

    public static bool NeedsRehash(string stored)
    {
        var parts = stored.Split('$');
        return parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var n) || n < Iterations;
    }
}
