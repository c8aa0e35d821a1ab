namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>Registers the line channel when <c>Channels:Line:Enabled</c> is true (not built yet).</summary>
internal static class LineChannelSetup
{
    public static IHostApplicationBuilder AddLineChannel(this IHostApplicationBuilder builder) => builder;

    public static IEndpointRouteBuilder MapLineChannel(this IEndpointRouteBuilder app) => app;
}
