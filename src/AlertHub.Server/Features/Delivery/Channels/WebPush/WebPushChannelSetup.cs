namespace AlertHub.Server.Features.Delivery.Channels.WebPush;

/// <summary>Registers the webpush channel when <c>Channels:WebPush:Enabled</c> is true (not built yet).</summary>
internal static class WebPushChannelSetup
{
    public static IHostApplicationBuilder AddWebPushChannel(this IHostApplicationBuilder builder) => builder;

    public static IEndpointRouteBuilder MapWebPushChannel(this IEndpointRouteBuilder app) => app;
}
