using AlertHub.Server.Features.Delivery.Channels.CapFeed;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AlertHub.UnitTests.Channels.CapFeed;

/// <summary>CAP links and the Atom feed are built on Hub:PublicBaseUrl: still localhost in Production is warned about at start.</summary>
public sealed class PublicBaseUrlWarningTests
{
    [Theory]
    [InlineData("Production", "http://localhost:5080", true)]
    [InlineData("Production", "http://127.0.0.1:5080", true)]
    [InlineData("Production", "http://[::1]/", true)]
    [InlineData("Production", "not a url", true)]
    [InlineData("Production", "https://bousai.city.yokote.example", false)]
    [InlineData("Development", "http://localhost:5080", false)]
    public void WarnIfPublicBaseUrlIsLocal_OnlyLocalhostInProduction(string environment, string url, bool warned)
    {
        var logger = new Collecting();

        var result = CapFeedSetup.WarnIfPublicBaseUrlIsLocal(new TestHostEnvironment(environment), new HubOptions { PublicBaseUrl = url }, logger);

        Assert.Equal(warned, result);
        if (warned)
        {
            var (level, message) = Assert.Single(logger.Messages);
            Assert.Equal(LogLevel.Warning, level);
            Assert.Contains($"Hub:PublicBaseUrl is {url} in Production", message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(logger.Messages);
        }
    }

    private sealed class Collecting : ILogger
    {
        public List<(LogLevel, string)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add((logLevel, formatter(state, exception)));
    }
}
