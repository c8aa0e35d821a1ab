namespace AlertHub.Server.Features.Health;

/// <summary>
/// One thing that must be done before the hub serves (migrate the schema, load areas, fill the targeting index). Features
/// register their steps; <see cref="StartupInitializer"/> runs them in <see cref="Order"/> and /health stays 503 until all
/// are done, so Health needs to know none of them.
/// </summary>
internal interface IStartupStep
{
    /// <summary>Lower runs first: 0 the store, 100 staff keys, 200 areas, 250 the 町字 points, 300 the targeting index.</summary>
    int Order { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
