using AlertHub.Tests.Shared;

namespace AlertHub.UnitTests.Feeds.Jma;

/// <summary>A theory over the JMA fixtures in <c>../shared</c>; skipped with a clear message where it is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class JmaFixtureTheoryAttribute : TheoryAttribute
{
    public JmaFixtureTheoryAttribute()
    {
        if (SharedData.Path("fixtures", "feeds", "jma") is null)
        {
            Skip = $"../shared/fixtures/feeds/jma not found (set {SharedData.EnvironmentVariable} to override).";
        }
    }
}
