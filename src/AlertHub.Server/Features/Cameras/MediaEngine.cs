using System.Diagnostics;
using AlertHub.Core.Cluster;
using AlertHub.Server.Features.Storage;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Where ffmpeg is (or why it is not) and where camera media lives. Found once at start: a missing ffmpeg
/// leaves the registry, snapshots pushed by cameras and jpeg-poll cameras working.
/// </summary>
internal sealed class MediaEngine
{
    /// <summary>Environment variable set on every ffmpeg the hub starts, so leftovers of a crashed hub can be recognised.</summary>
    public const string MarkerVariable = "ALERTHUB_MEDIA_ROOT";

    public const string CameraVariable = "ALERTHUB_CAMERA";

    /// <summary>
    /// The node (<see cref="ClusterNode.Name"/>) that started an ffmpeg: several nodes on one machine may share one media
    /// folder (a cluster), and a node's clean-up must kill only what an earlier run of itself left behind.
    /// </summary>
    public const string NodeVariable = "ALERTHUB_NODE";

    public MediaEngine(IOptions<CamerasOptions> options, StoragePaths paths, ClusterNode node)
    {
        NodeName = node.Name;
        var o = options.Value;
        MediaRoot = Path.GetFullPath(Path.IsPathRooted(o.MediaDirectory) ? o.MediaDirectory : Path.Combine(paths.DataDirectory, o.MediaDirectory));
        LiveRoot = o.LiveDirectory is { Length: > 0 } live
            ? Path.GetFullPath(Path.IsPathRooted(live) ? live : Path.Combine(paths.DataDirectory, live))
            : null;
        Directory.CreateDirectory(MediaRoot);
        (FfmpegPath, Reason) = Locate(o.FfmpegPath);
    }

    public string MediaRoot { get; }

    public string NodeName { get; }

    private string? LiveRoot { get; }

    public string? FfmpegPath { get; }

    public bool Available => FfmpegPath is not null;

    public string? Reason { get; }

    public MediaEngineView View => new(Available, FfmpegPath, Reason);

    public string CameraDirectory(string cameraId) => Path.Combine(MediaRoot, cameraId);

    public string LiveDirectory(string cameraId) => LiveRoot is null ? Path.Combine(CameraDirectory(cameraId), "live") : Path.Combine(LiveRoot, cameraId);

    public string PidFile(string cameraId) => Path.Combine(CameraDirectory(cameraId), "ffmpeg.pid");

    private static (string? Path, string? Reason) Locate(string? configured)
    {
        if (configured is { Length: > 0 })
        {
            return File.Exists(configured) ? (Path.GetFullPath(configured), null) : (null, $"Cameras:FfmpegPath '{configured}' does not exist.");
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "ffmpeg.exe" : "ffmpeg");
            if (File.Exists(candidate))
            {
                return (candidate, null);
            }
        }

        return (null, "ffmpeg was not found on PATH; install it (apt-get install ffmpeg) or set Cameras:FfmpegPath. RTSP and HLS cameras are not watched.");
    }

    /// <summary>
    /// Kills ffmpeg processes a previous run of this hub left behind (a SIGKILLed hub cannot kill its
    /// children): those named in pid files and any ffmpeg whose environment carries this media root.
    /// Returns how many were killed.
    /// </summary>
    public int KillOrphans()
    {
        var killed = 0;
        var candidates = new HashSet<int>();
        foreach (var pidFile in Directory.EnumerateFiles(MediaRoot, "ffmpeg.pid", SearchOption.AllDirectories))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            {
                candidates.Add(pid);
            }

            File.Delete(pidFile);
        }

        if (Directory.Exists("/proc"))
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), out var pid))
                {
                    candidates.Add(pid);
                }
            }
        }

        foreach (var pid in candidates)
        {
            if (pid != Environment.ProcessId && IsOurFfmpeg(pid, MediaRoot, NodeName))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                    killed++;
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already gone, or not ours to kill.
                }
            }
        }

        return killed;
    }

    /// <summary>
    /// Whether <paramref name="pid"/> is an ffmpeg started for <paramref name="mediaRoot"/> (reads /proc; false elsewhere), and,
    /// given <paramref name="nodeName"/>, by that node (or by a hub from before ffmpeg was marked with its node).
    /// </summary>
    public static bool IsOurFfmpeg(int pid, string mediaRoot, string? nodeName = null)
    {
        try
        {
            var comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            if (!comm.StartsWith("ffmpeg", StringComparison.Ordinal))
            {
                return false;
            }

            var environ = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
            if (!environ.Contains($"{MarkerVariable}={mediaRoot}"))
            {
                return false;
            }

            var startedBy = environ.FirstOrDefault(v => v.StartsWith(NodeVariable + "=", StringComparison.Ordinal));
            return nodeName is null || startedBy is null || startedBy == $"{NodeVariable}={nodeName}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Removes a camera's media folder, if it is there; a file still open (ffmpeg exiting) leaves it for the next try.</summary>
    public static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
