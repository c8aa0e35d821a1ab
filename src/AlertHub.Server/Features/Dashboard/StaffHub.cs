using AlertHub.Server.Features.Auth;
using Microsoft.AspNetCore.SignalR;

namespace AlertHub.Server.Features.Dashboard;

/// <summary>
/// The events staff dashboards receive. The method names are the wire names the dashboard's <c>ctx.on('…')</c> listens
/// for, hence camelCase.
/// </summary>
internal interface IStaffClient
{
    Task alertIssued(AlertIssuedEvent e);

    Task alertDraft(AlertDraftEvent e);

    Task deliveryProgress(DeliveryProgress e);

    Task feedEvent(FeedEventNotice e);

    Task cameraStatus(CameraStatusEvent e);

    Task cameraSnapshot(CameraSnapshotEvent e);

    Task safetyReply(SafetyFeature e);

    Task dronePhoto(DronePhotoFeature e);

    Task shelterStatus(ShelterStatusEvent e);

    Task sheltersImported(SheltersImportedEvent e);
}

/// <summary>
/// <c>/hubs/staff</c>: staff dashboards connect with a viewer key or their session cookie and only listen. A connection
/// joins the staff group only while <see cref="StaffConnectionGuard"/> can re-check the credential it came with.
/// </summary>
internal sealed class StaffHub(StaffConnectionGuard guard) : Hub<IStaffClient>
{
    public const string Path = "/hubs/staff";
    public const string StaffGroup = "staff";

    public override async Task OnConnectedAsync()
    {
        if (Context.User is { } user && StaffRoles.RolesSatisfying(StaffRoles.Viewer).Any(user.IsInRole) && guard.Add(Context))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, StaffGroup);
        }

        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        guard.Remove(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>
/// <see cref="IStaffEvents"/> through <see cref="StaffHub"/>. A notice that cannot go out now (on a cluster, the SignalR
/// backplane's Redis is down or failing over) is logged and dropped: what it announces is already stored, and the board and
/// the API show it; the action that caused it — an alert just committed — must not fail because a screen could not be
/// told. (It did: issuing answered 500 with Redis gone, after the alert was stored, inviting a second issue.)
/// </summary>
internal sealed partial class HubStaffEvents(IHubContext<StaffHub, IStaffClient> hub, IEnumerable<IPublicEventAudience> publicAudiences,
    ILogger<HubStaffEvents> logger) : IStaffEvents
{
    private IStaffClient Staff => hub.Clients.Group(StaffHub.StaffGroup);

    public Task AlertIssuedAsync(AlertIssuedEvent e, CancellationToken cancellationToken) => NotifyAsync(nameof(IStaffClient.alertIssued), () => Staff.alertIssued(e));

    public Task AlertDraftAsync(AlertDraftEvent e, CancellationToken cancellationToken) => NotifyAsync(nameof(IStaffClient.alertDraft), () => Staff.alertDraft(e));

    public Task DeliveryProgressAsync(DeliveryProgress e, CancellationToken cancellationToken) =>
        NotifyAsync(nameof(IStaffClient.deliveryProgress), () => Staff.deliveryProgress(e));

    public Task FeedEventAsync(FeedEventNotice e, CancellationToken cancellationToken) => NotifyAsync(nameof(IStaffClient.feedEvent), () => Staff.feedEvent(e));

    public Task CameraStatusAsync(CameraStatusEvent e, CancellationToken cancellationToken) =>
        NotifyAsync(nameof(IStaffClient.cameraStatus), () => Staff.cameraStatus(e));

    public Task CameraSnapshotAsync(CameraSnapshotEvent e, CancellationToken cancellationToken) =>
        NotifyAsync(nameof(IStaffClient.cameraSnapshot), () => Staff.cameraSnapshot(e));

    public Task SafetyReplyAsync(SafetyFeature e, CancellationToken cancellationToken) => NotifyAsync(nameof(IStaffClient.safetyReply), () => Staff.safetyReply(e));

    public Task DronePhotoAsync(DronePhotoFeature e, CancellationToken cancellationToken) => NotifyAsync(nameof(IStaffClient.dronePhoto), () => Staff.dronePhoto(e));

    public Task ShelterStatusAsync(ShelterStatusEvent e, CancellationToken cancellationToken) => NotifyAsync(nameof(IStaffClient.shelterStatus), async () =>
    {
        await hub.Clients.All.shelterStatus(e);
        foreach (var audience in publicAudiences)
        {
            await audience.SendToAllAsync(nameof(IStaffClient.shelterStatus), e, cancellationToken);
        }
    });

    public Task SheltersImportedAsync(SheltersImportedEvent e, CancellationToken cancellationToken) => NotifyAsync(nameof(IStaffClient.sheltersImported), async () =>
    {
        await hub.Clients.All.sheltersImported(e);
        foreach (var audience in publicAudiences)
        {
            await audience.SendToAllAsync(nameof(IStaffClient.sheltersImported), e, cancellationToken);
        }
    });

    private async Task NotifyAsync(string notice, Func<Task> send)
    {
        try
        {
            await send();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNotSent(logger, notice, e.GetBaseException().Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Staff notice {Notice} not sent: {Reason}; what it announces is stored and shown on the next refresh")]
    private static partial void LogNotSent(ILogger logger, string notice, string reason);
}
