using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Cluster;
using AlertHub.Server.Features.Cameras;
using AlertHub.Server.Features.ComposeTemplates;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Delivery;
using AlertHub.Server.Features.Delivery.Channels.CapFeed;
using AlertHub.Server.Features.Delivery.Channels.Email;
using AlertHub.Server.Features.Delivery.Channels.Fcm;
using AlertHub.Server.Features.Delivery.Channels.LAlert;
using AlertHub.Server.Features.Delivery.Channels.Line;
using AlertHub.Server.Features.Delivery.Channels.Loudspeaker;
using AlertHub.Server.Features.Delivery.Channels.SignalR;
using AlertHub.Server.Features.Delivery.Channels.Social;
using AlertHub.Server.Features.Delivery.Channels.Telephony;
using AlertHub.Server.Features.Delivery.Channels.WebPush;
using AlertHub.Server.Features.Delivery.Channels.Webhook;
using AlertHub.Server.Features.DronePhotos;
using AlertHub.Server.Features.Feeds;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Features.Places;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Rules;
using AlertHub.Server.Features.Safety;
using AlertHub.Server.Features.Shelters;
using AlertHub.Server.Features.Staff;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Storage.Migration;
using AlertHub.Server.Features.Targeting;
using AlertHub.Server.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
if (MigrateStoreCommand.IsRequested(args))
{
    // A one-off command, not the hub: copy the SQLite store into PostgreSQL and exit (docs/operations.md).
    Environment.ExitCode = await MigrateStoreCommand.RunAsync(builder, args);
    return;
}

builder.AddHubDefaults();
builder.AddStorage();
builder.AddCluster();
builder.AddClusterRedis();
builder.AddShelters();
builder.AddHealth();
builder.AddStaffAuth();
builder.AddStaff();
builder.AddAreas();
builder.AddPlaces();
builder.AddResidents();
builder.AddResidentInbox();
builder.AddSafety();
builder.AddTargeting();
builder.AddAlerts();
builder.AddComposeTemplates();
builder.AddDelivery()
    .AddChannel<SignalRChannel, SignalRChannelOptions>(ChannelNames.SignalR)
    .AddChannel<WebhookChannel, WebhookChannelOptions>(ChannelNames.Webhook)
    .AddChannel<FcmChannel, FcmChannelOptions>(ChannelNames.Fcm)
    .AddChannel<WebPushChannel, WebPushChannelOptions>(ChannelNames.WebPush)
    .AddChannel<LineChannel, LineChannelOptions>(ChannelNames.Line)
    .AddChannel<EmailChannel, EmailChannelOptions>(ChannelNames.Email)
    .AddChannel<SocialChannel, SocialChannelOptions>(ChannelNames.Social)
    .AddChannel<LoudspeakerChannel, LoudspeakerChannelOptions>(ChannelNames.Loudspeaker)
    .AddChannel<CapFeedChannel, CapFeedOptions>(ChannelNames.CapFeed)
    .AddChannel<VoiceChannel, VoiceChannelOptions>(ChannelNames.Voice)
    .AddChannel<SmsChannel, SmsChannelOptions>(ChannelNames.Sms)
    .AddChannel<LAlertChannel, LAlertOptions>(ChannelNames.LAlert);
builder.AddFeeds();
builder.AddRules();
builder.AddDashboard();
builder.AddCameras();
builder.AddAlertImages();
builder.AddDronePhotos();
builder.Services.LoadKeyRingAfterTheStore();

var app = builder.Build();
app.UseHubDefaults();
app.UseDashboard();

app.MapHealthApi();
app.MapAuthApi();
app.MapStaffApi();
app.MapAreasApi(app.Configuration.GetSection("Areas").Get<AreasOptions>()?.MaxUploadBytes ?? new AreasOptions().MaxUploadBytes);
app.MapPlacesApi();
app.MapResidentsApi(app.Configuration.GetSection("Residents").Get<ResidentsOptions>()?.ImportMaxBytes ?? new ResidentsOptions().ImportMaxBytes);
app.MapResidentInboxApi();
app.MapSheltersApi();
app.MapSafetyApi();
app.MapTargetingApi();
app.MapAlertsApi();
app.MapComposeTemplatesApi();
app.MapDeliveryApi();
app.MapFeedsApi();
app.MapRulesApi();
app.MapDashboard();
app.MapClusterApi();
app.MapCamerasApi();
app.MapLiveApi();
app.MapAlertImagesApi();
app.MapDronePhotosApi();
app.MapTelephonyApi();

app.Run();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
