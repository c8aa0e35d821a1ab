using System.Buffers;
using System.IO.Pipelines;

namespace AlertHub.Server.Infrastructure;

/// <summary>One line of a <see cref="BoundedLineReader"/>.</summary>
/// <param name="Number">1-based line number.</param>
/// <param name="Bytes">The line without its <c>\n</c> (or <c>\r\n</c>); valid only until the next read. Empty for a line that was too long.</param>
/// <param name="TooLongBytes">For a line longer than the cap: how many bytes it had (it was skipped, never held); otherwise null.</param>
internal readonly record struct BoundedLine(long Number, ReadOnlySequence<byte> Bytes, long? TooLongBytes);

/// <summary>
/// Splits a stream into <c>\n</c>-terminated lines (NDJSON) while holding at most one line up to the cap, plus one
/// read: a longer line is skipped as it streams past and reported by number and length, and the lines after it
/// are read as usual.
/// </summary>
/// <remarks>
/// The body as a whole is capped elsewhere (<see cref="BodyLimitMiddleware"/> and <see cref="LengthLimitedStream"/>);
/// this caps one line, which <see cref="StreamReader.ReadLineAsync()"/> does not: it builds the whole line as a
/// string, and a single 200 MB line took the process to 2.4 GB.
/// </remarks>
internal sealed class BoundedLineReader : IAsyncDisposable
{
    private readonly PipeReader _reader;
    private readonly long _maxLineBytes;
    private ReadOnlySequence<byte> _buffer;
    private bool _holding;     // _buffer is from a ReadResult not yet advanced past
    private bool _completed;   // the stream has ended
    private bool _skipping;    // inside a line already longer than the cap
    private long _skipped;
    private long _number;

    public BoundedLineReader(Stream stream, long maxLineBytes, int readSize = 16 * 1024)
    {
        _maxLineBytes = maxLineBytes;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: readSize, minimumReadSize: Math.Min(1024, readSize), leaveOpen: true));
    }

    /// <summary>The most bytes ever held at once (a line up to the cap plus the read that completed it).</summary>
    public long LargestBuffer { get; private set; }

    /// <summary>The next line, or null at the end of the stream.</summary>
    public async ValueTask<BoundedLine?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_holding)
            {
                if (_buffer.PositionOf((byte)'\n') is { } newline)
                {
                    var line = _buffer.Slice(0, newline);
                    _buffer = _buffer.Slice(_buffer.GetPosition(1, newline));
                    return Complete(line);
                }

                if (_completed)
                {
                    if (_buffer.Length == 0 && !_skipping)
                    {
                        return null;
                    }

                    var last = _buffer;
                    _buffer = _buffer.Slice(_buffer.End);
                    return Complete(last);
                }

                if (_skipping || _buffer.Length > _maxLineBytes)
                {
                    // Too long already: let these bytes go instead of waiting for the end of the line.
                    _skipped += _buffer.Length;
                    _skipping = true;
                    _reader.AdvanceTo(_buffer.End);
                }
                else
                {
                    // Keep the partial line, but have the pipe fetch more before answering again.
                    _reader.AdvanceTo(_buffer.Start, _buffer.End);
                }

                _holding = false;
            }

            var result = await _reader.ReadAsync(cancellationToken);
            (_buffer, _completed, _holding) = (result.Buffer, result.IsCompleted, true);
            LargestBuffer = Math.Max(LargestBuffer, _buffer.Length);
        }
    }

    private BoundedLine Complete(ReadOnlySequence<byte> line)
    {
        _number++;
        if (_skipping || line.Length > _maxLineBytes)
        {
            var length = _skipped + line.Length;
            (_skipping, _skipped) = (false, 0);
            return new BoundedLine(_number, ReadOnlySequence<byte>.Empty, length);
        }

        if (line.Length > 0 && EndsWithCarriageReturn(line))
        {
            line = line.Slice(0, line.Length - 1);
        }

        return new BoundedLine(_number, line, null);
    }

    private static bool EndsWithCarriageReturn(ReadOnlySequence<byte> line) => line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r';

    public async ValueTask DisposeAsync()
    {
        if (_holding)
        {
            _reader.AdvanceTo(_buffer.End);
        }

        await _reader.CompleteAsync();
    }
}
