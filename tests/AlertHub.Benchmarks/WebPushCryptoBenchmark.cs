using System.Security.Cryptography;
using AlertHub.Core.Crypto;
using AlertHub.Server.Features.Delivery.Channels.WebPush;

namespace AlertHub.Benchmarks;

/// <summary>
/// <c>webpush [messages]</c>: CPU per Web Push message on one thread — the whole RFC 8291 encryption, and its
/// P-256 steps on their own (ephemeral key pair with the agreement, checking a subscriber's key) — for each P-256
/// implementation this machine has, so the hub's capacity per core can be read off without the push service
/// sharing the machine.
/// </summary>
internal static class WebPushCryptoBenchmark
{
    private const int WarmUp = 500;

    public static int Run(string[] args)
    {
        var messages = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        var subscribers = Enumerable.Range(0, 256).Select(_ =>
        {
            using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            return new WebPushKeys(WebPushEncryption.ExportPoint(ua), RandomNumberGenerator.GetBytes(16));
        }).ToArray();
        var plaintext = new byte[600];
        RandomNumberGenerator.Fill(plaintext);

        // Both P-256 paths, so the gain of the libcrypto one (the default on Linux) stays visible.
        Console.WriteLine($"default P-256 implementation: {P256KeyAgreement.Default.Name}");
        var implementations = new List<P256KeyAgreement> { ManagedP256KeyAgreement.Instance };
        if (OpenSslP256KeyAgreement.Instance is { } native)
        {
            implementations.Add(native);
        }

        foreach (var agreement in implementations)
        {
            Console.WriteLine($"-- {agreement.Name}");
            CpuPerCall.Measure("encrypt (whole message)", messages, i => WebPushEncryption.Encrypt(plaintext, subscribers[i % subscribers.Length], agreement), WarmUp);
            CpuPerCall.Measure("ephemeral key + ECDH", messages, i =>
            {
                Span<byte> ownPublic = stackalloc byte[P256KeyAgreement.PointLength];
                Span<byte> secret = stackalloc byte[P256KeyAgreement.SecretLength];
                agreement.AgreeWithNewKey(subscribers[i % subscribers.Length].P256dh, ownPublic, secret);
            }, WarmUp);
            CpuPerCall.Measure("check subscriber key", messages, i => agreement.IsOnCurve(subscribers[i % subscribers.Length].P256dh), WarmUp);
        }

        return 0;
    }
}
