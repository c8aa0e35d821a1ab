using AlertHub.Tests.Shared;

namespace AlertHub.BrowserTests.Infrastructure;

/// <summary>
/// A browser test that also reads the real feed fixtures in <c>../shared</c>: skipped where chromium is missing (never
/// under CI, like <see cref="ToolFactAttribute"/>) or where the shared folder is absent (like <see cref="SharedDataFactAttribute"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ChromiumSharedDataFactAttribute : FactAttribute
{
    public ChromiumSharedDataFactAttribute()
    {
        Skip = new ToolFactAttribute("chromium").Skip ?? new SharedDataFactAttribute().Skip;
    }
}
