using System.Diagnostics;
using System.Security.Cryptography;
using AlertHub.Server.Features.Delivery.Channels.WebPush;

namespace AlertHub.Benchmarks;

/// <summary>
/// <c>webpush [messages]</c>: CPU per Web Push message on one thread — the whole RFC 8291 encryption, and its
/// steps on their own (ephemeral key pair, importing the subscriber's key, the ECDH agreement) — so the hub's
/// capacity per core can be read off without the push service sharing the machine.
/// </summary>
internal static class WebPushCryptoBenchmark
{
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

        Measure("encrypt (whole message)", messages, i => WebPushEncryption.Encrypt(plaintext, subscribers[i % subscribers.Length]));
        Measure("ephemeral P-256 key pair", messages, i =>
        {
            using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            key.ExportParameters(false);
        });
        Measure("import subscriber key", messages, i =>
        {
            var point = subscribers[i % subscribers.Length].P256dh;
            using var key = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = point[1..33], Y = point[33..65] },
            });
        });
        using var fixedKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var imported = subscribers.Select(s => ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = s.P256dh[1..33], Y = s.P256dh[33..65] },
        })).ToArray();
        Measure("ECDH agreement", messages, i => fixedKey.DeriveRawSecretAgreement(imported[i % imported.Length].PublicKey));
        return 0;
    }

    private static void Measure(string what, int count, Action<int> step)
    {
        for (var i = 0; i < 500; i++)
        {
            step(i);
        }

        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            step(i);
        }

        wall.Stop();
        process.Refresh();
        var perMessageUs = (process.TotalProcessorTime - cpu).TotalMilliseconds * 1000 / count;
        Console.WriteLine($"{what,-26} {perMessageUs,8:N1} µs CPU each ({wall.Elapsed.TotalMilliseconds * 1000 / count:N1} µs wall) → {1_000_000 / perMessageUs:N0}/s per core");
    }
}
