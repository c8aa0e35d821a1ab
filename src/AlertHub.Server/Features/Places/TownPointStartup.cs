using AlertHub.Server.Features.Health;

namespace AlertHub.Server.Features.Places;

/// <summary>
/// A startup step: load the imported 町字 points after the areas (search answers with the district a point is in) and
/// before the targeting index, so the first resident who searches after a restart finds the same places as before it.
/// </summary>
internal sealed class TownPointStartup(TownPointStore towns) : IStartupStep
{
    public int Order => 250;

    public Task RunAsync(CancellationToken cancellationToken) => towns.LoadAsync(cancellationToken);
}
