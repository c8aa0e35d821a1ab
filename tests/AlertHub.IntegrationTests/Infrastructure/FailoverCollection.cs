namespace AlertHub.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that start several hub processes or whole failover formations (pg_auto_failover, Redis Sentinel) and kill or stop
/// them. They take both cores for seconds at a time, so they run alone, after the rest: beside them, tests that measure a
/// rate (a channel's calls per second) were starved and failed.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverCollection
{
    public const string Name = "Failover (processes killed and stopped)";
}
