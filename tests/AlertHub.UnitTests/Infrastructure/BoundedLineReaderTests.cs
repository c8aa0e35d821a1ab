using System.Buffers;
using System.Text;
using AlertHub.Server.Infrastructure;

namespace AlertHub.UnitTests.Infrastructure;

public sealed class BoundedLineReaderTests
{
    private static async Task<List<(long Number, string? Text, long? TooLong)>> ReadAllAsync(Stream stream, int max, int readSize = 4096)
    {
        await using var reader = new BoundedLineReader(stream, max, readSize);
        var lines = new List<(long, string?, long?)>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lines.Add((line.Number, line.TooLongBytes is null ? Encoding.UTF8.GetString(line.Bytes) : null, line.TooLongBytes));
        }

        return lines;
    }

    [Fact]
    public async Task ReadLine_SplitsOnNewlines_DropsCarriageReturns_AndKeepsALastLineWithoutNewline()
    {
        var lines = await ReadAllAsync(new MemoryStream("a\r\nbb\n\nあい\nlast"u8.ToArray()), max: 100, readSize: 2);
        Assert.Equal([(1L, "a", (long?)null), (2, "bb", null), (3, "", null), (4, "あい", null), (5, "last", null)], lines);
    }

    [Fact]
    public async Task ReadLine_EmptyStreamAndTrailingNewline_AddNoLine()
    {
        Assert.Empty(await ReadAllAsync(new MemoryStream(), max: 10));
        Assert.Equal([(1L, "x", (long?)null)], await ReadAllAsync(new MemoryStream("x\n"u8.ToArray()), max: 10));
    }

    [Fact]
    public async Task ReadLine_ALineOfSeveralMegabytes_IsSkippedWithoutEverHoldingMoreThanTheCap_AndTheNextLinesStillCome()
    {
        const int Max = 64 * 1024;
        const int ReadSize = 16 * 1024;
        var longLine = 6 * 1024 * 1024;
        var stream = new GeneratedStream([
            "{\"first\":1}\n"u8.ToArray(),
            .. Enumerable.Repeat(Encoding.ASCII.GetBytes(new string('x', 1024 * 1024)), longLine / (1024 * 1024)),
            "\n{\"after\":2}\n"u8.ToArray(),
            Encoding.ASCII.GetBytes(new string('y', Max)), "\n"u8.ToArray(),
            Encoding.ASCII.GetBytes(new string('z', Max + 1)), "\n"u8.ToArray(),
            "{\"end\":3}"u8.ToArray(),
        ]);

        await using var reader = new BoundedLineReader(stream, Max, ReadSize);
        var lines = new List<BoundedLine>();
        var texts = new List<string?>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lines.Add(line);
            texts.Add(line.TooLongBytes is null ? Encoding.UTF8.GetString(line.Bytes) : null);
        }

        Assert.Equal([1L, 2, 3, 4, 5, 6], lines.Select(l => l.Number));
        Assert.Equal("{\"first\":1}", texts[0]);
        Assert.Equal(longLine, lines[1].TooLongBytes);
        Assert.Equal("{\"after\":2}", texts[2]);
        Assert.Equal(Max, texts[3]!.Length);
        Assert.Equal(Max + 1, lines[4].TooLongBytes);
        Assert.Equal("{\"end\":3}", texts[5]);
        Assert.True(reader.LargestBuffer <= Max + (2 * ReadSize), $"held {reader.LargestBuffer} bytes at once for a cap of {Max}");
    }

    /// <summary>Hands out the parts in small reads, as a network body does (no part is read all at once).</summary>
    private sealed class GeneratedStream(byte[][] parts) : Stream
    {
        private int _part;
        private int _offset;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_part < parts.Length && _offset == parts[_part].Length)
            {
                (_part, _offset) = (_part + 1, 0);
            }

            if (_part == parts.Length)
            {
                return 0;
            }

            var n = Math.Min(Math.Min(count, 8192), parts[_part].Length - _offset);
            parts[_part].AsSpan(_offset, n).CopyTo(buffer.AsSpan(offset));
            _offset += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
