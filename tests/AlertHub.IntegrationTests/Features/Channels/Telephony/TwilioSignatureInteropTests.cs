using System.Diagnostics;
using System.Text.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.Twilio;
using AlertHub.Server.Features.Delivery.Channels.Telephony;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Channels.Telephony;

/// <summary>
/// The callback signature checked by an implementation that is not ours: the npm <c>twilio</c> package's
/// <c>validateRequest</c> (tests/interop). Both the hub's computation and the fake Twilio's signing must agree with it.
/// </summary>
public sealed class TwilioSignatureInteropTests
{
    private const string AuthToken = "9f3c5a0b7d2e4f6a8b1c3d5e7f901234";
    private const string Url = "https://hub.example.test/api/telephony/status?d=6c1f%3A3%3Aabc%3Avoice%3A2";

    private static readonly Dictionary<string, string> Parameters = new(StringComparer.Ordinal)
    {
        ["AccountSid"] = "AC" + new string('a', 32),
        ["CallSid"] = "CA" + new string('b', 32),
        ["CallStatus"] = "completed",
        ["AnsweredBy"] = "machine_end_beep",
        ["Digits"] = "1",
        ["To"] = "+81182112233",
        ["From"] = "+81182320001",
        ["SpeechResult"] = "横手市からのお知らせ、避難してください",
    };

    [ToolFact("node-interop")]
    public async Task Signatures_OfTheHubAndTheFake_AreAcceptedByTheTwilioPackage()
    {
        var hub = TwilioSignature.Compute(AuthToken, Url, Parameters);
        var fake = FakeTwilio.Sign(AuthToken, Url, Parameters);

        Assert.Equal("true", await ValidateAsync(AuthToken, hub, Url, Parameters));
        Assert.Equal("true", await ValidateAsync(AuthToken, fake, Url, Parameters));
    }

    [ToolFact("node-interop")]
    public async Task Signatures_WithAnotherTokenUrlOrParameter_AreRefusedByTheTwilioPackage()
    {
        var signature = TwilioSignature.Compute(AuthToken, Url, Parameters);
        var tampered = new Dictionary<string, string>(Parameters, StringComparer.Ordinal) { ["Digits"] = "2" };

        Assert.Equal("false", await ValidateAsync("0" + AuthToken[1..], signature, Url, Parameters));
        Assert.Equal("false", await ValidateAsync(AuthToken, signature, Url.Replace("%3A2", "%3A3", StringComparison.Ordinal), Parameters));
        Assert.Equal("false", await ValidateAsync(AuthToken, signature, Url, tampered));
        Assert.False(TwilioSignature.IsValid(AuthToken, Url, tampered, signature));
    }

    private static async Task<string> ValidateAsync(string token, string signature, string url, IReadOnlyDictionary<string, string> parameters)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { authToken = token, signature, url, @params = parameters }));
            var dir = Tools.InteropDirectory!;
            var start = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(dir, "twilio-validate.mjs"));
            start.ArgumentList.Add(file);
            using var process = Process.Start(start)!;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);
            Assert.True(process.ExitCode == 0, $"node twilio-validate.mjs exited {process.ExitCode}: {await stderr}");
            return (await stdout).Trim();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
