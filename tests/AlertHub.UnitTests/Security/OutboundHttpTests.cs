using AlertHub.Server.Features.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace AlertHub.UnitTests.Security;

public sealed class OutboundHttpTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Client_TunedToFollowRedirectsAndKeepCookies_StillFollowsNoneAndKeepsNone(bool guarded)
    {
        var handler = BuildHandler(guarded, (_, h) =>
        {
            h.AllowAutoRedirect = true;
            h.UseCookies = true;
            h.ConnectCallback = null;
            h.MaxConnectionsPerServer = 7;
        });

        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseCookies);
        Assert.Equal(TimeSpan.FromMinutes(5), handler.PooledConnectionLifetime);
        Assert.Equal(7, handler.MaxConnectionsPerServer);
        Assert.Equal(guarded, handler.ConnectCallback is not null);
    }

    [Fact]
    public void Client_ByDefault_WaitsAsLongAsItsCallerAllows()
    {
        using var provider = Services(guarded: true, null).BuildServiceProvider();

        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("probe");

        Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout);
    }

    private static SocketsHttpHandler BuildHandler(bool guarded, Action<IServiceProvider, SocketsHttpHandler>? tune)
    {
        using var provider = Services(guarded, tune).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get("probe");
        var builder = new ProbeBuilder(provider);
        foreach (var action in options.HttpMessageHandlerBuilderActions)
        {
            action(builder);
        }

        return Assert.IsType<SocketsHttpHandler>(builder.PrimaryHandler);
    }

    private static ServiceCollection Services(bool guarded, Action<IServiceProvider, SocketsHttpHandler>? tune)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IHostEnvironment>(new TestHostEnvironment("Production"));
        services.AddOutboundUrlPolicy(new ConfigurationBuilder().Build());
        services.AddOutboundHttpClient("probe", guarded, configureHandler: tune);
        return services;
    }

    private sealed class ProbeBuilder(IServiceProvider services) : HttpMessageHandlerBuilder
    {
        public override string? Name { get; set; } = "probe";

        public override HttpMessageHandler PrimaryHandler { get; set; } = new HttpClientHandler();

        public override IList<DelegatingHandler> AdditionalHandlers { get; } = [];

        public override IServiceProvider Services { get; } = services;

        public override HttpMessageHandler Build() => PrimaryHandler;
    }
}
