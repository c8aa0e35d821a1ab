namespace AlertHub.Server.Features.Delivery.Channels.Email;

/// <summary>Registers the email channel when <c>Channels:Email:Enabled</c> is true (not built yet).</summary>
internal static class EmailChannelSetup
{
    public static IHostApplicationBuilder AddEmailChannel(this IHostApplicationBuilder builder) => builder;

    public static IEndpointRouteBuilder MapEmailChannel(this IEndpointRouteBuilder app) => app;
}
