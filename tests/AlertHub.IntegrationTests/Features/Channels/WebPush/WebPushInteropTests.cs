using System.Buffers.Text;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Peers.WebPush;
using AlertHub.Server.Features.Delivery.Channels.WebPush;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Channels.WebPush;

/// <summary>The hub's RFC 8291/8292 code against the RFC vector, the fake's decoder, npm http_ece and npm web-push-testing.</summary>
public sealed class WebPushInteropTests
{
    // RFC 8291 Appendix A.
    private const string UaPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    private const string UaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    private const string Auth = "BTBZMqHH6r4Tts7J_aSIgg";
    private const string Rfc8291Body =
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    private const string Japanese = """{"title":"【訓練】横手川 氾濫危険","body":"高い所へ避難してください。"}""";

    private static (WebPushKeys Keys, string Private) NewUserAgent()
    {
        using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var p = ua.ExportParameters(true);
        var auth = RandomNumberGenerator.GetBytes(16);
        return (new WebPushKeys([4, .. p.Q.X!, .. p.Q.Y!], auth), Base64Url.EncodeToString(p.D!));
    }

    [Fact]
    public void FakeDecryptor_Rfc8291AppendixA_RecoversPlaintext()
    {
        var plaintext = PushDecryptor.Decrypt(Base64Url.DecodeFromChars(Rfc8291Body), Base64Url.DecodeFromChars(UaPrivate),
            Base64Url.DecodeFromChars(UaPublic), Base64Url.DecodeFromChars(Auth));

        Assert.Equal("When I grow up, I want to be a watermelon", Encoding.UTF8.GetString(plaintext));
    }

    [Fact]
    public void FakeDecryptor_TamperedCiphertext_Throws()
    {
        var body = Base64Url.DecodeFromChars(Rfc8291Body);
        body[^1] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => PushDecryptor.Decrypt(body, Base64Url.DecodeFromChars(UaPrivate),
            Base64Url.DecodeFromChars(UaPublic), Base64Url.DecodeFromChars(Auth)));
    }

    [Fact]
    public void HubEncryption_FakeDecryptor_RoundTripsJapanese()
    {
        var (keys, uaPrivate) = NewUserAgent();

        var body = WebPushEncryption.Encrypt(Encoding.UTF8.GetBytes(Japanese), keys);

        Assert.Equal(Japanese, Encoding.UTF8.GetString(PushDecryptor.Decrypt(body, Base64Url.DecodeFromChars(uaPrivate), keys.P256dh, keys.Auth)));
    }

    [ToolFact("node-interop")]
    public async Task HttpEce_HubCiphertext_DecryptsToSamePlaintext()
    {
        var (keys, uaPrivate) = NewUserAgent();
        var body = WebPushEncryption.Encrypt(Encoding.UTF8.GetBytes(Japanese), keys);

        var (exitCode, stdout, stderr) = await RunNodeAsync(["webpush-decrypt.mjs", uaPrivate, Base64Url.EncodeToString(keys.Auth)], Base64Url.EncodeToString(body));

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(Japanese, stdout);
    }

    [ToolFact("node-interop")]
    public async Task WebPushTesting_IndependentPushService_AcceptsHubDeliveriesAndExpiredSubscriptionIsPruned()
    {
        using var service = StartNode("webpush-testing-server.mjs");
        var ready = await service.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20))
            ?? throw new InvalidOperationException("web-push-testing exited: " + await service.StandardError.ReadToEndAsync());
        var port = JsonNode.Parse(ready)!["port"]!.GetValue<int>();
        using var pushService = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            using var hub = new HubFactory(settings: new Dictionary<string, string?>
            {
                ["Channels:WebPush:Enabled"] = "true",
                ["Channels:WebPush:Subject"] = "mailto:bousai@city.yokote.example",
            });
            await hub.WaitReadyAsync();
            using var client = hub.CreateClient();
            using var admin = hub.Admin();
            var vapidKey = (await client.GetFromJsonAsync<JsonObject>(WebPushChannelSetup.VapidPublicKeyPath))!["publicKey"]!.GetValue<string>();
            var subscribed = await pushService.PostAsJsonAsync("/subscribe", new { applicationServerKey = vapidKey });
            var subscription = (await subscribed.JsonAsync())["data"]!;
            Assert.True(subscribed.IsSuccessStatusCode, subscription.ToJsonString());
            var clientHash = subscription["clientHash"]!.GetValue<string>();
            var resident = await Api.RegisterAsync(client, 39.30, 140.55, [], [new
            {
                channel = "webpush",
                address = subscription["endpoint"]!.GetValue<string>(),
                keys = new { p256dh = subscription["keys"]!["p256dh"]!.GetValue<string>(), auth = subscription["keys"]!["auth"]!.GetValue<string>() },
            }]);
            var here = new { circles = new[] { new { lat = 39.30, lon = 140.55, radiusMeters = 300 } } };

            var issued = await Api.IssueAsync(admin, Api.ExerciseAlert(here));
            var id = issued["id"]!.GetValue<string>();
            await Api.WaitForDeliveryAsync(admin, id, a => a["delivery"]!["total"]!["delivered"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(15));
            var notifications = await (await pushService.PostAsJsonAsync("/get-notifications", new { clientHash })).JsonAsync();
            var message = Assert.Single(notifications["data"]!["messages"]!.AsArray());
            using (var payload = JsonDocument.Parse(message!.GetValue<string>()))
            {
                Assert.Equal(id, payload.RootElement.GetProperty("alertId").GetString());
                Assert.Equal($"{id}:1:{resident.Id:N}:webpush", payload.RootElement.GetProperty("idempotencyKey").GetString());
                Assert.StartsWith("【訓練】", payload.RootElement.GetProperty("title").GetString(), StringComparison.Ordinal);
            }

            (await pushService.PostAsync($"/expire-subscription/{clientHash}", null)).EnsureSuccessStatusCode();
            var second = await Api.IssueAsync(admin, Api.ExerciseAlert(here, headline: "土砂災害警戒"));
            await Api.WaitForDeliveryAsync(admin, second["id"]!.GetValue<string>(), a => a["delivery"]!["total"]!["gone"]!.GetValue<long>() == 1, TimeSpan.FromSeconds(15));
        }
        finally
        {
            service.StandardInput.Close();
            if (!service.WaitForExit(5000))
            {
                service.Kill(entireProcessTree: true);
            }
        }
    }

    [ToolFact("node-interop")]
    public async Task FakePushService_IndependentSenderWebPush_IsAcceptedAndDecrypted()
    {
        await using var push = new FakePushService(new AlertHub.MobileSim.Report.ReceiptLog());
        await push.StartAsync();
        var s = push.Subscribe();
        var subscription = JsonSerializer.Serialize(new { endpoint = s.Endpoint, keys = new { p256dh = s.P256dh, auth = s.Auth } });

        var (exitCode, stdout, stderr) = await RunNodeAsync(["webpush-send.mjs", subscription, "high", "alert-topic-1"], Japanese);

        Assert.True(exitCode == 0, stdout + stderr + push.LastRejection);
        var result = JsonNode.Parse(stdout)!;
        Assert.Equal(201, result["statusCode"]!.GetValue<int>());
        Assert.StartsWith(push.Origin + "/m/", result["location"]!.GetValue<string>(), StringComparison.Ordinal);
        var message = Assert.Single(push.Messages);
        Assert.Equal(Japanese, message.Plaintext);
        Assert.Equal((600L, "high", "alert-topic-1"), (message.Ttl, message.Urgency, message.Topic));
        Assert.Equal(result["vapidPublicKey"]!.GetValue<string>(), message.VapidKey);
    }

    private static Process StartNode(params string[] arguments)
    {
        var info = new ProcessStartInfo("node", arguments)
        {
            WorkingDirectory = Tools.InteropDirectory!,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        return Process.Start(info)!;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string[] arguments, string stdin)
    {
        using var process = StartNode(arguments);
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
