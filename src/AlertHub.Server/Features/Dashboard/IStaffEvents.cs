namespace AlertHub.Server.Features.Dashboard;

/// <summary>
/// How features tell staff dashboards what happens, as it happens (over <c>/hubs/staff</c>). Each method is one event of
/// <see cref="IStaffClient"/>; features depend on this and on the payload records, never on a hub. Staff events reach only
/// connections whose key or session still holds (<see cref="StaffConnectionGuard"/>); shelter events are public and also
/// go to every <see cref="IPublicEventAudience"/> (the residents' hub).
/// </summary>
internal interface IStaffEvents
{
    Task AlertIssuedAsync(AlertIssuedEvent e, CancellationToken cancellationToken);

    Task AlertDraftAsync(AlertDraftEvent e, CancellationToken cancellationToken);

    Task DeliveryProgressAsync(DeliveryProgress e, CancellationToken cancellationToken);

    Task FeedEventAsync(FeedEventNotice e, CancellationToken cancellationToken);

    Task CameraStatusAsync(CameraStatusEvent e, CancellationToken cancellationToken);

    Task CameraSnapshotAsync(CameraSnapshotEvent e, CancellationToken cancellationToken);

    Task SafetyReplyAsync(SafetyFeature e, CancellationToken cancellationToken);

    Task DronePhotoAsync(DronePhotoFeature e, CancellationToken cancellationToken);

    Task ShelterStatusAsync(ShelterStatusEvent e, CancellationToken cancellationToken);

    Task SheltersImportedAsync(SheltersImportedEvent e, CancellationToken cancellationToken);
}

/// <summary>Another live connection that public events (shelter status) go out on: the residents' SignalR hub implements it.</summary>
internal interface IPublicEventAudience
{
    Task SendToAllAsync(string eventName, object payload, CancellationToken cancellationToken);
}
