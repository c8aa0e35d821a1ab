using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Cameras;
using AlertHub.Server.Features.Dashboard;
using AlertHub.Server.Features.Delivery;
using AlertHub.Server.Features.DronePhotos;
using AlertHub.Server.Features.Feeds;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Media;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Safety;
using AlertHub.Server.Features.Shelters;
using AlertHub.Server.Features.Staff;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Targeting;
using AlertHub.Server.Features.Telephony;
using AlertHub.Server.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddHubDefaults();
builder.AddStorage();
builder.AddHealth();
builder.AddStaffAuth();
builder.AddStaff();
builder.AddAreas();
builder.AddResidents();
builder.AddResidentInbox();
builder.AddShelters();
builder.AddSafety();
builder.AddTargeting();
builder.AddAlerts();
builder.AddDelivery();
builder.AddFeeds();
builder.AddDashboard();
builder.AddCameras();
builder.AddAlertImages();
builder.AddDronePhotos();

var app = builder.Build();
app.UseHubDefaults();
app.UseDashboard();

app.MapHealthApi();
app.MapAuthApi();
app.MapStaffApi();
app.MapAreasApi(app.Configuration.GetSection("Areas").Get<AreasOptions>()?.MaxUploadBytes ?? new AreasOptions().MaxUploadBytes);
app.MapResidentsApi(app.Configuration.GetSection("Residents").Get<ResidentsOptions>()?.ImportMaxBytes ?? new ResidentsOptions().ImportMaxBytes);
app.MapResidentInboxApi();
app.MapSheltersApi();
app.MapSafetyApi();
app.MapTargetingApi();
app.MapAlertsApi();
app.MapDeliveryApi();
app.MapFeedsApi();
app.MapDashboard();
app.MapCamerasApi();
app.MapLiveApi();
app.MapAlertImagesApi();
app.MapDronePhotosApi();
app.MapTelephonyApi();

app.Run();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
