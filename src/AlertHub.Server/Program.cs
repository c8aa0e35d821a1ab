using AlertHub.Server.Features.Alerts;
using AlertHub.Server.Features.Areas;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Cameras;
using AlertHub.Server.Features.Delivery;
using AlertHub.Server.Features.Feeds;
using AlertHub.Server.Features.Health;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Targeting;
using AlertHub.Server.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddHubDefaults();
builder.AddStorage();
builder.AddHealth();
builder.AddStaffAuth();
builder.AddAreas();
builder.AddResidents();
builder.AddTargeting();
builder.AddAlerts();
builder.AddDelivery();
builder.AddFeeds();
builder.AddCameras();

var app = builder.Build();
app.UseHubDefaults();

app.MapHealthApi();
app.MapAuthApi();
app.MapAreasApi(app.Configuration.GetSection("Areas").Get<AreasOptions>()?.MaxUploadBytes ?? new AreasOptions().MaxUploadBytes);
app.MapResidentsApi(app.Configuration.GetSection("Residents").Get<ResidentsOptions>()?.ImportMaxBytes ?? new ResidentsOptions().ImportMaxBytes);
app.MapTargetingApi();
app.MapAlertsApi();
app.MapDeliveryApi();
app.MapFeedsApi();
app.MapCamerasApi();
app.MapLiveApi();

app.Run();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
