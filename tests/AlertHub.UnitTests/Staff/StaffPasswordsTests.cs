using System.Security.Cryptography;
using System.Text;
using AlertHub.Server.Features.Staff;

namespace AlertHub.UnitTests.Staff;

public sealed class StaffPasswordsTests
{
    private const string Password = "横手川 flood watch 2026";

    [Fact]
    public void Hash_IsVersionedWithItsIterationsAndSalt_AndVerifiesOnlyTheSamePassword()
    {
        var hash = StaffPasswords.Hash(Password);
        var parts = hash.Split('$');
        Assert.Equal(["pbkdf2-sha256", "600000"], parts[..2]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.True(StaffPasswords.Verify(Password, hash));
        Assert.False(StaffPasswords.Verify(Password + " ", hash));
        Assert.False(StaffPasswords.Verify("", hash));
        Assert.False(StaffPasswords.NeedsRehash(hash));
    }

    [Fact]
    public void Hash_UsesAFreshSaltEachTime()
    {
        Assert.NotEqual(StaffPasswords.Hash(Password), StaffPasswords.Hash(Password));
    }

    [Fact]
    public void Verify_TamperedOrMalformedHash_NeverVerifies()
    {
        var parts = StaffPasswords.Hash(Password).Split('$');
        var flipped = Convert.FromBase64String(parts[3]);
        flipped[0] ^= 1;
        var saltFlipped = Convert.FromBase64String(parts[2]);
        saltFlipped[^1] ^= 1;
        string[] tampered =
        [
            string.Join('$', parts[0], parts[1], parts[2], Convert.ToBase64String(flipped)),
            string.Join('$', parts[0], parts[1], Convert.ToBase64String(saltFlipped), parts[3]),
            string.Join('$', parts[0], "600001", parts[2], parts[3]),
            string.Join('$', "pbkdf2-sha1", parts[1], parts[2], parts[3]),
            string.Join('$', parts[0], "1000", parts[2], parts[3]),
            string.Join('$', parts[0], parts[1], "not base64!", parts[3]),
            string.Join('$', parts[0], parts[1], parts[2]),
            "",
        ];
        Assert.All(tampered, t => Assert.False(StaffPasswords.Verify(Password, t), t));
    }

    [Fact]
    public void Verify_AcceptsAnOlderIterationCount_ButAsksForARehash()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(Password), salt, 200_000, HashAlgorithmName.SHA256, 32);
        var stored = $"pbkdf2-sha256$200000${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
        Assert.True(StaffPasswords.Verify(Password, stored));
        Assert.True(StaffPasswords.NeedsRehash(stored));
    }

    [Fact]
    public void VerifyDecoy_AlwaysFails()
    {
        Assert.False(StaffPasswords.VerifyDecoy(Password));
        Assert.False(StaffPasswords.VerifyDecoy(""));
    }
}
