using System.Text.RegularExpressions;
using AlertHub.Core;
using AlertHub.Server.Infrastructure;

namespace AlertHub.UnitTests.Infrastructure;

/// <summary>One table of error codes (ntfy-style): every code once, with its status and meaning, Core's included, and docs/api.md shows exactly it.</summary>
public sealed partial class ErrorTableTests
{
    [Fact]
    public void Table_HasEveryCodeOnce_EachWithAnErrorStatusAndAMeaning()
    {
        var all = Problems.All;

        Assert.Equal(all.Count, all.Select(c => c.Code).Distinct(StringComparer.Ordinal).Count());
        Assert.All(all, c =>
        {
            Assert.Matches(@"^[a-z_]+\.[a-z_]+$", c.Code);
            Assert.InRange(c.Status, 400, 599);
            Assert.False(string.IsNullOrWhiteSpace(c.Title), c.Code);
        });
    }

    [Fact]
    public void Table_IncludesCoresFeedAndGeometryCodes()
    {
        Assert.All(CoreErrorCodes.All, c => Assert.Contains(c, Problems.All));
        Assert.Equal(413, Problems.StatusOf(CoreErrorCodes.FeedTooLarge));
        Assert.Equal(422, Problems.StatusOf(CoreErrorCodes.FeedUnrecognized));
    }

    [Fact]
    public void DocsApi_ErrorList_IsTheTable()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "api.md"));
        var match = Section().Match(docs);
        Assert.True(match.Success, "docs/api.md has no <!-- error-codes:begin --> … <!-- error-codes:end --> section");

        var shown = match.Groups["table"].Value.Trim().ReplaceLineEndings("\n");

        Assert.True(shown == Problems.Markdown().Trim(),
            "docs/api.md's error list differs from Problems.All; replace the section with:\n" + Problems.Markdown());
    }

    [Fact]
    public void Sources_RaiseNoCodeAsAStringLiteral()
    {
        var prefixes = Problems.All.Select(c => c.Code[..c.Code.IndexOf('.', StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);
        var offenders = new List<string>();
        foreach (var project in new[] { "AlertHub.Core", "AlertHub.Server" })
        {
            var root = Path.Combine(RepositoryRoot(), "src", project);
            foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
            {
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                {
                    if (LiteralCode().Matches(lines[i]).Any(m => prefixes.Contains(m.Groups["prefix"].Value)))
                    {
                        offenders.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}");
                    }
                }
            }
        }

        Assert.True(offenders.Count == 0, "codes belong in Problems or CoreErrorCodes:\n" + string.Join("\n", offenders));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlertHub.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("AlertHub.sln not found");
    }

    [GeneratedRegex(@"<!-- error-codes:begin -->(?<table>.*?)<!-- error-codes:end -->", RegexOptions.Singleline)]
    private static partial Regex Section();

    /// <summary>A code written out where an error is raised or compared, instead of named.</summary>
    [GeneratedRegex(@"(?:(?:Exception|Problems\.(?:BadRequest|NotFoundProblem|Unprocessable|Create|WriteAsync))\((?:[^,()""]+, )*|[!=]=\s*)""(?<prefix>[a-z_]+)\.[a-z_]+""")]
    private static partial Regex LiteralCode();
}
