using System.Net.Http.Json;
using AlertHub.Core.Storage;
using AlertHub.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlertHub.IntegrationTests.Features.Staff;

/// <summary>
/// An approval bypassed is audited in the transaction that issues (or updates) the alert. When the bypass line could not
/// be written after the alert was committed, the caller was told the request failed although the alert went out, and a
/// retry would have issued it twice (what a database failing over between the two writes does).
/// </summary>
public sealed class BypassAuditAtomicityTests
{
    private static readonly object Here = new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 1000 } } };

    [Fact]
    public async Task Issue_WhenTheBypassLineCannotBeWritten_NothingIsIssued()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var hub = new HubFactory(services: s => s.Decorate("alerts.issue.bypass"));
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await Features.Alerts.QueueingInPartsTests.ImportAsync(admin, receiver, 5);

        var answer = await admin.PostAsJsonAsync("/api/alerts", Api.ExerciseAlert(Here));

        Assert.False(answer.IsSuccessStatusCode);
        Assert.Equal(0, await hub.CountAsync("SELECT count(*) FROM alerts"));
        Assert.Equal(0, await hub.CountAsync("SELECT count(*) FROM outbox_items"));
        await Task.Delay(800);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task Update_WhenTheBypassLineCannotBeWritten_TheVersionIsNotStored()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var hub = new HubFactory(services: s => s.Decorate("alerts.update.bypass"));
        await hub.WaitReadyAsync();
        using var admin = hub.Admin();
        await Features.Alerts.QueueingInPartsTests.ImportAsync(admin, receiver, 5);
        var id = (await Api.IssueAsync(admin, Api.ExerciseAlert(Here)))["id"]!.GetValue<string>();
        await receiver.WaitForAsync(r => r.Count >= 5, TimeSpan.FromSeconds(20));

        // New texts need a second person: the admin key bypasses, and that line fails.
        var answer = await admin.PostAsJsonAsync($"/api/alerts/{id}/update", new
        {
            texts = new Dictionary<string, object> { ["ja"] = new { headline = "続報", body = "水位がさらに上昇", instruction = "避難を続けてください" } },
        });

        Assert.False(answer.IsSuccessStatusCode);
        Assert.Equal(1, await hub.CountAsync($"SELECT count(*) FROM alert_versions WHERE alert_id = '{id}'"));
        await Task.Delay(800);
        Assert.Equal(5, receiver.Received.Count);
    }
}

/// <summary>An audit store whose lines with one action fail, as a write does while the database fails over.</summary>
internal sealed class FailingAuditLogStore(IAuditLogStore inner, string failingAction) : IAuditLogStore
{
    public Task AppendAsync(DateTimeOffset at, string actor, string action, string? target, string? detail, IStoreTransaction? transaction,
        CancellationToken cancellationToken) =>
        action == failingAction
            ? throw new IOException($"the database went away while writing {action}")
            : inner.AppendAsync(at, actor, action, target, detail, transaction, cancellationToken);

    public Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditQuery query, CancellationToken cancellationToken) => inner.SearchAsync(query, cancellationToken);

    public Task<IReadOnlyDictionary<string, string?>> FirstDetailsAsync(string action, IReadOnlyCollection<string> targets, CancellationToken cancellationToken) =>
        inner.FirstDetailsAsync(action, targets, cancellationToken);
}

internal static class FailingAuditLogStoreSetup
{
    public static void Decorate(this IServiceCollection services, string failingAction)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IAuditLogStore));
        services.Replace(ServiceDescriptor.Singleton<IAuditLogStore>(sp =>
            new FailingAuditLogStore((IAuditLogStore)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!), failingAction)));
    }
}
