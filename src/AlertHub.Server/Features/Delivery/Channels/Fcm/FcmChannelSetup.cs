namespace AlertHub.Server.Features.Delivery.Channels.Fcm;

/// <summary>Registers the fcm channel when <c>Channels:Fcm:Enabled</c> is true (not built yet).</summary>
internal static class FcmChannelSetup
{
    public static IHostApplicationBuilder AddFcmChannel(this IHostApplicationBuilder builder) => builder;

    public static IEndpointRouteBuilder MapFcmChannel(this IEndpointRouteBuilder app) => app;
}
