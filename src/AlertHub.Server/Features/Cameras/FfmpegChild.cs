using System.Diagnostics;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// One ffmpeg process: stdout piped to the hub (snapshots arrive as mpjpeg parts, and a hub that dies takes
/// ffmpeg with it through the broken pipe), stderr kept as a short tail for the log, a pid file so a
/// SIGKILLed hub's leftovers can be found, and a marker variable in its environment.
/// Dispose kills the whole process tree.
/// </summary>
internal sealed class FfmpegChild : IDisposable
{
    private readonly Process _process;
    private readonly string _pidFile;
    private readonly Queue<string> _stderrTail = new();

    private FfmpegChild(Process process, string pidFile)
    {
        _process = process;
        _pidFile = pidFile;
    }

    public int Id => _process.Id;

    public Stream Output => _process.StandardOutput.BaseStream;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The last lines ffmpeg printed to stderr (unscrubbed: callers scrub before logging).</summary>
    public string StderrTail
    {
        get
        {
            lock (_stderrTail)
            {
                return string.Join(" | ", _stderrTail);
            }
        }
    }

    public static FfmpegChild Start(string ffmpeg, IEnumerable<string> arguments, string mediaRoot, string nodeName, string cameraId, string pidFile)
    {
        var info = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment[MediaEngine.MarkerVariable] = mediaRoot;
        info.Environment[MediaEngine.CameraVariable] = cameraId;
        info.Environment[MediaEngine.NodeVariable] = nodeName;
        var process = Process.Start(info) ?? throw new InvalidOperationException("ffmpeg did not start");
        var child = new FfmpegChild(process, pidFile);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                lock (child._stderrTail)
                {
                    child._stderrTail.Enqueue(line.Length > 400 ? line[..400] : line);
                    while (child._stderrTail.Count > 5)
                    {
                        child._stderrTail.Dequeue();
                    }
                }
            }
        };
        process.BeginErrorReadLine();
        Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
        File.WriteAllText(pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return child;
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Kills ffmpeg and anything it started; safe to call more than once and from a cancellation callback.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited between the check and the kill.
        }
    }

    public void Dispose()
    {
        Kill();
        try
        {
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }

        try
        {
            File.Delete(_pidFile);
        }
        catch (IOException)
        {
        }

        _process.Dispose();
    }
}
