using System.Diagnostics;

namespace AlertHub.Tests.Shared;

/// <summary>
/// Finds programs the tests use as independent peers (node with tests/interop/node_modules, python3 with
/// aiosmtpd, ffmpeg …).
/// </summary>
internal static class Tools
{
    /// <summary>The repository root (the folder with AlertHub.sln).</summary>
    public static DirectoryInfo RepoRoot { get; } = FindRoot();

    /// <summary>tests/interop with its npm packages installed, or null.</summary>
    public static string? InteropDirectory
    {
        get
        {
            var dir = Path.Combine(RepoRoot.FullName, "tests", "interop");
            return Directory.Exists(Path.Combine(dir, "node_modules")) ? dir : null;
        }
    }

    public static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(d => File.Exists(Path.Combine(d, program)));

    /// <summary>Debian's python3, which apt packages such as python3-aiosmtpd install into (a pyenv python3 may shadow it on PATH).</summary>
    public static string SystemPython => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>Whether <c>python3 -c "import module"</c> works with <see cref="SystemPython"/>.</summary>
    public static bool PythonModule(string module)
    {
        if (SystemPython == "python3" && !OnPath("python3"))
        {
            return false;
        }

        using var p = Process.Start(new ProcessStartInfo(SystemPython, ["-c", $"import {module}"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit(10_000);
        return p.HasExited && p.ExitCode == 0;
    }

    private static DirectoryInfo FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlertHub.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("AlertHub.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// A fact that needs an outside program. On a developer machine without it the test is skipped with the
/// install hint; under CI (<c>CI=true</c>, where .ci/run installs everything) it is never skipped, so a
/// missing tool fails loudly instead of hiding a regression.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ToolFactAttribute : FactAttribute
{
    /// <param name="tool">"node-interop" (node + tests/interop/node_modules), "aiosmtpd", "gst-rtsp-server" (ffmpeg + GStreamer's RTSP server for python), or a program on PATH such as "ffmpeg".</param>
    public ToolFactAttribute(string tool)
    {
        var available = tool switch
        {
            "node-interop" => Tools.OnPath("node") && Tools.InteropDirectory is not null,
            "aiosmtpd" => Tools.PythonModule("aiosmtpd"),
            "gst-rtsp-server" => Tools.OnPath("ffmpeg") && Tools.PythonModule("gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"),
            // "chromium+ffmpeg": every program on PATH.
            _ => tool.Split('+').All(Tools.OnPath),
        };
        if (!available && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = tool switch
            {
                "node-interop" => "needs node and `npm ci --prefix tests/interop` (.ci/run does both)",
                "aiosmtpd" => "needs python3-aiosmtpd (`apt-get install python3-aiosmtpd`; .ci/run does it)",
                "gst-rtsp-server" => "needs ffmpeg, python3-gst-1.0 and gir1.2-gst-rtsp-server-1.0 (.ci/run installs them)",
                _ => $"needs {tool} on PATH (.ci/run installs it)",
            };
        }
    }
}
