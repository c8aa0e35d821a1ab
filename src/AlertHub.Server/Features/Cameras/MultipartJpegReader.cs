using System.Buffers;
using System.Text;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Reads JPEG frames from a multipart stream: ffmpeg's <c>-f mpjpeg</c> output on stdout and MJPEG cameras'
/// <c>multipart/x-mixed-replace</c> bodies. Parts with a Content-Length are read exactly (no chance of
/// handing out half a frame); parts without one are cut at the JPEG end marker.
/// </summary>
internal sealed class MultipartJpegReader(Stream stream, int maxFrameBytes)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The next frame, or null at end of stream.</summary>
    public async Task<byte[]?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        int? length = null;
        var sawHeaders = false;
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken);
            if (line is null)
            {
                return null;
            }

            if (line.Length == 0)
            {
                if (sawHeaders)
                {
                    break;
                }

                continue; // the CRLF after the previous part's data
            }

            if (line.StartsWith("--", StringComparison.Ordinal))
            {
                sawHeaders = true;
                continue;
            }

            sawHeaders = true;
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(line[(colon + 1)..].Trim(), out var n))
            {
                if (n <= 0 || n > maxFrameBytes)
                {
                    throw new InvalidDataException($"frame of {n} bytes is outside 1–{maxFrameBytes}");
                }

                length = n;
            }
        }

        return length is { } exact ? await ReadExactAsync(exact, cancellationToken) : await ReadToEoiAsync(cancellationToken);
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var builder = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                return builder.Length > 0 ? builder.ToString() : null;
            }

            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf((byte)'\n');
            var take = newline >= 0 ? newline : span.Length;
            builder.Append(Encoding.ASCII.GetString(span[..take]));
            _start += newline >= 0 ? take + 1 : take;
            if (builder.Length > 1024)
            {
                throw new InvalidDataException("multipart header line too long");
            }

            if (newline >= 0)
            {
                return builder.ToString().TrimEnd('\r');
            }
        }
    }

    private async Task<byte[]?> ReadExactAsync(int length, CancellationToken cancellationToken)
    {
        var frame = new byte[length];
        var copied = 0;
        while (copied < length)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                return null;
            }

            var n = Math.Min(length - copied, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(frame.AsSpan(copied));
            _start += n;
            copied += n;
        }

        return frame;
    }

    private async Task<byte[]?> ReadToEoiAsync(CancellationToken cancellationToken)
    {
        var frame = new ArrayBufferWriter<byte>();
        var previous = (byte)0;
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                return null;
            }

            for (var i = _start; i < _end; i++)
            {
                // Inside entropy-coded data every 0xFF is stuffed, so FF D9 only appears as the end marker.
                if (previous == 0xFF && _buffer[i] == 0xD9)
                {
                    frame.Write(_buffer.AsSpan(_start, i + 1 - _start));
                    _start = i + 1;
                    return frame.WrittenSpan.ToArray();
                }

                previous = _buffer[i];
            }

            frame.Write(_buffer.AsSpan(_start, _end - _start));
            _start = _end;
            if (frame.WrittenCount > maxFrameBytes)
            {
                throw new InvalidDataException($"frame larger than {maxFrameBytes} bytes");
            }
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, cancellationToken);
        return _end > 0;
    }
}
