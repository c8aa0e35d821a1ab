namespace AlertHub.Tests.Shared;

/// <summary>A fact that needs <c>../shared</c>; skipped with a clear message where it is absent (xunit 2 cannot skip at run time).</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (SharedData.Root is null)
        {
            Skip = $"../shared not found (looked for a 'shared' folder next to the repository root; set {SharedData.EnvironmentVariable} to override).";
        }
    }
}
