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

/// <summary><see cref="IStaffEvents"/> through <see cref="StaffHub"/>.</summary>
internal sealed class HubStaffEvents(IHubContext<StaffHub, IStaffClient> hub, IEnumerable<IPublicEventAudience> publicAudiences) : IStaffEvents
{
    private IStaffClient Staff => hub.Clients.Group(StaffHub.StaffGroup);

    public Task AlertIssuedAsync(AlertIssuedEvent e, CancellationToken cancellationToken) => Staff.alertIssued(e);

    public Task AlertDraftAsync(AlertDraftEvent e, CancellationToken cancellationToken) => Staff.alertDraft(e);

    public Task DeliveryProgressAsync(DeliveryProgress e, CancellationToken cancellationToken) => Staff.deliveryProgress(e);

    public Task FeedEventAsync(FeedEventNotice e, CancellationToken cancellationToken) => Staff.feedEvent(e);

    public Task CameraStatusAsync(CameraStatusEvent e, CancellationToken cancellationToken) => Staff.cameraStatus(e);

    public Task CameraSnapshotAsync(CameraSnapshotEvent e, CancellationToken cancellationToken) => Staff.cameraSnapshot(e);

    public Task SafetyReplyAsync(SafetyFeature e, CancellationToken cancellationToken) => Staff.safetyReply(e);

    public Task DronePhotoAsync(DronePhotoFeature e, CancellationToken cancellationToken) => Staff.dronePhoto(e);

    public async Task ShelterStatusAsync(ShelterStatusEvent e, CancellationToken cancellationToken)
    {
        await hub.Clients.All.shelterStatus(e);
        foreach (var audience in publicAudiences)
        {
            await audience.SendToAllAsync(nameof(IStaffClient.shelterStatus), e, cancellationToken);
        }
    }

    public async Task SheltersImportedAsync(SheltersImportedEvent e, CancellationToken cancellationToken)
    {
        await hub.Clients.All.sheltersImported(e);
        foreach (var audience in publicAudiences)
        {
            await audience.SendToAllAsync(nameof(IStaffClient.sheltersImported), e, cancellationToken);
        }
    }
}
