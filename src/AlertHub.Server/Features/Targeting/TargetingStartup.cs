using AlertHub.Server.Features.Health;

namespace AlertHub.Server.Features.Targeting;

/// <summary>A startup step: fill the targeting index from the store, after the areas are loaded.</summary>
internal sealed class TargetingStartup(TargetingService targeting) : IStartupStep
{
    public int Order => 300;

    public Task RunAsync(CancellationToken cancellationToken) => targeting.LoadAsync(cancellationToken);
}
