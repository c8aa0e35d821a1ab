using System.Text;
using System.Text.Json;
using AlertHub.BrowserTests.Infrastructure;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Delivery.Channels.WebPush;
using AlertHub.Tests.Shared;
using Microsoft.Playwright;

namespace AlertHub.BrowserTests.Pages;

/// <summary>
/// The resident page's service worker (<c>/sw.js</c>) fed push messages the way the browser hands them over
/// after decrypting: headless Chromium has no push service to subscribe to, so the payloads (built by the
/// hub's own Web Push payload code) are delivered through the DevTools protocol's
/// <c>ServiceWorker.deliverPushMessage</c>, and the notifications read back with <c>getNotifications()</c>.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ServiceWorkerTests(BrowserHub hub)
{
    [ToolFact("chromium")]
    public async Task Push_AlertThenUpdateThenAnother_OneNotificationPerAlertTheUpdateReplacingIt()
    {
        await using var context = await hub.NewContextAsync();
        await context.GrantPermissionsAsync(["notifications"]);
        var page = await context.NewPageAsync();
        var problems = ResidentPageTests.CollectProblems(page);
        await page.GotoAsync("/");
        var push = await ServiceWorkerPush.StartAsync(context, page, hub.BaseAddress);

        var alertId = Guid.NewGuid().ToString("N");
        await push.DeliverAsync(Payload(alertId, 1, "Alert", "Severe", "【訓練】横手川 氾濫危険水位に到達", "川から離れてください。"));
        var shown = await push.NotificationsAsync(1);
        Assert.Equal("【訓練】横手川 氾濫危険水位に到達", shown[0].Title);
        Assert.Equal("川から離れてください。", shown[0].Body);
        Assert.Equal(alertId, shown[0].Tag);
        Assert.True(shown[0].RequireInteraction, "a Severe alert stays until the resident dismisses it");

        // The update replaces the first notification rather than adding a second one.
        await push.DeliverAsync(Payload(alertId, 2, "Update", "Severe", "【訓練】【更新】横手川 氾濫発生", "氾濫が発生しました。"));
        await push.WaitForAsync(n => n.Count == 1 && n[0].Title.Contains("氾濫発生", StringComparison.Ordinal));

        var other = Guid.NewGuid().ToString("N");
        await push.DeliverAsync(Payload(other, 1, "Alert", "Minor", "大雨注意報", "雨に注意してください。"));
        var both = await push.NotificationsAsync(2);
        var minor = Assert.Single(both, n => n.Tag == other);
        Assert.False(minor.RequireInteraction);
        Assert.Empty(problems);
    }

    [ToolFact("chromium")]
    public async Task Push_NotJson_StillShowsTheTextUnderTheDefaultTitle()
    {
        await using var context = await hub.NewContextAsync();
        await context.GrantPermissionsAsync(["notifications"]);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        var push = await ServiceWorkerPush.StartAsync(context, page, hub.BaseAddress);

        await push.DeliverAsync("避難所が開設されました");

        var shown = await push.NotificationsAsync(1);
        Assert.Equal("防災お知らせ", shown[0].Title);
        Assert.Equal("避難所が開設されました", shown[0].Body);
    }

    private static string Payload(string alertId, int version, string msgType, string severity, string headline, string body)
    {
        var message = new RenderedMessage(alertId, version, msgType, "Exercise", severity, "Immediate", "洪水", "ja", headline, body, null, null,
            DateTimeOffset.UtcNow, null);
        return Encoding.UTF8.GetString(WebPushPayload.Build(message, $"{alertId}:{version}:r:webpush", $"http://127.0.0.1/?alert={alertId}")!);
    }
}

/// <summary>A notification as <c>registration.getNotifications()</c> reports it.</summary>
internal sealed record ShownNotification(string Title, string Body, string Tag, bool RequireInteraction);

/// <summary>Registers <c>/sw.js</c> in a page and pushes messages to it through the DevTools protocol.</summary>
internal sealed class ServiceWorkerPush(IPage page, ICDPSession cdp, string origin, string scope, string registrationId)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static async Task<ServiceWorkerPush> StartAsync(IBrowserContext context, IPage page, Uri baseAddress)
    {
        var cdp = await context.NewCDPSessionAsync(page);
        var origin = baseAddress.GetLeftPart(UriPartial.Authority);
        // A scope of its own: the DevTools events may also report registrations of earlier tests' contexts on
        // this origin, and a push sent to one of those would never show here.
        var scope = $"/push-test-{Guid.NewGuid():N}/";
        var registration = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        cdp.Event("ServiceWorker.workerRegistrationUpdated").OnEvent += (_, e) =>
        {
            foreach (var r in e!.Value.GetProperty("registrations").EnumerateArray())
            {
                if (r.GetProperty("scopeURL").GetString() == origin + scope && !r.GetProperty("isDeleted").GetBoolean())
                {
                    registration.TrySetResult(r.GetProperty("registrationId").GetString()!);
                }
            }
        };
        await cdp.SendAsync("ServiceWorker.enable");
        // Wait for "activated", not just for ready (which already resolves while the worker is activating).
        await page.EvaluateAsync("""
            async scope => {
              const registration = await navigator.serviceWorker.register('/sw.js', { scope });
              const worker = registration.installing ?? registration.waiting ?? registration.active;
              if (worker.state !== 'activated') {
                await new Promise(resolve => worker.addEventListener('statechange', () => worker.state === 'activated' && resolve()));
              }
            }
            """, scope);
        var id = await registration.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return new ServiceWorkerPush(page, cdp, origin, scope, id);
    }

    public Task DeliverAsync(string data) => cdp.SendAsync("ServiceWorker.deliverPushMessage",
        new Dictionary<string, object> { ["origin"] = origin, ["registrationId"] = registrationId, ["data"] = data });

    public Task<IReadOnlyList<ShownNotification>> NotificationsAsync(int count) => WaitForAsync(n => n.Count == count);

    public async Task<IReadOnlyList<ShownNotification>> WaitForAsync(Func<IReadOnlyList<ShownNotification>, bool> done)
    {
        IReadOnlyList<ShownNotification> last = [];
        for (var i = 0; i < 100; i++)
        {
            var json = await page.EvaluateAsync<string>(
                "async scope => JSON.stringify((await (await navigator.serviceWorker.getRegistration(scope)).getNotifications())" +
                ".map(n => ({ title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction })))", scope);
            last = JsonSerializer.Deserialize<List<ShownNotification>>(json, Web)!;
            if (done(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"The notifications never got there; last seen: {JsonSerializer.Serialize(last)}");
    }
}
