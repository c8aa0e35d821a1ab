using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;

namespace AlertHub.Server.Features.Delivery.Channels.SignalR;

internal static class SignalRChannelSetup
{
    public static IHostApplicationBuilder AddSignalRChannel(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSignalR();
        builder.Services.AddSingleton<ResidentConnections>();
        builder.Services.AddSingleton<StaffConnectionGuard>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StaffConnectionGuard>());
        builder.Services.AddSingleton<StaffFeed>();
        builder.Services.AddSingleton<Alerts.IAlertEventSink>(sp => sp.GetRequiredService<StaffFeed>());
        builder.Services.AddSingleton<IDeliveryProgressSink>(sp => sp.GetRequiredService<StaffFeed>());
        builder.Services.Configure<SignalRChannelOptions>(builder.Configuration.GetSection("Channels:SignalR"));
        if (builder.Configuration.GetValue<bool>("Channels:SignalR:Enabled"))
        {
            builder.Services.AddSingleton<IDeliveryChannel, SignalRChannel>();
            builder.Services.AddSingleton<IEndpointValidator, SignalREndpointValidator>();
        }

        return builder;
    }

    /// <summary>The hub is mapped even with the channel off: staff dashboards use it too.</summary>
    public static IEndpointRouteBuilder MapSignalRChannel(this IEndpointRouteBuilder app)
    {
        app.MapHub<AlertsHub>(AlertsHub.Path);
        return app;
    }
}

/// <summary>The SignalR "address" is the resident themselves; clients subscribe with id + token.</summary>
internal sealed class SignalREndpointValidator : IEndpointValidator
{
    public string Channel => SignalRChannel.ChannelName;

    public ValidEndpoint Validate(EndpointDto endpoint, int index) => new(Channel, "resident", null);
}
