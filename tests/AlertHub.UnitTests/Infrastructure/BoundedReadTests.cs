using System.Net.Http.Headers;
using AlertHub.Server.Infrastructure;

namespace AlertHub.UnitTests.Infrastructure;

public sealed class BoundedReadTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100_000)]
    [InlineData(200_000)]
    public async Task ReadAtMost_BodyOfExactlyTheLimit_IsReadWhole(int size)
    {
        var data = Bytes(size);

        var read = await BoundedRead.ReadAtMostAsync(new MemoryStream(data), size, CancellationToken.None);

        Assert.Equal(data, read);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(100_000)]
    public async Task ReadAtMost_OneByteOverTheLimit_IsNull(int limit)
    {
        var read = await BoundedRead.ReadAtMostAsync(new MemoryStream(Bytes(limit + 1)), limit, CancellationToken.None);

        Assert.Null(read);
    }

    [Fact]
    public async Task Read_EndlessStream_StopsOneBytePastTheLimit_AndKeepsThosePrefixBytes()
    {
        var endless = new EndlessStream();

        var read = await BoundedRead.ReadAsync(endless, 300_000, CancellationToken.None);

        Assert.False(read.Complete);
        Assert.Equal(300_001, read.Bytes.Length);
        Assert.Equal(300_001, endless.Served);
        Assert.All(read.Bytes, b => Assert.Equal(0x5A, b));
    }

    [Fact]
    public async Task ReadAtMost_ContentLengthOverTheLimit_IsRefusedBeforeReading()
    {
        var endless = new EndlessStream();
        using var content = new StreamContent(endless);
        content.Headers.ContentLength = 1001;

        var read = await BoundedRead.ReadAtMostAsync(content, 1000, CancellationToken.None);

        Assert.Null(read);
        Assert.Equal(0, endless.Served);
    }

    [Fact]
    public async Task ReadAtMost_ContentLengthUnderTheLimitButLongerBody_IsStillCutOff()
    {
        using var content = new StreamContent(new MemoryStream(Bytes(2000)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        var read = await BoundedRead.ReadAtMostAsync(content, 1000, CancellationToken.None);

        Assert.Null(read);
    }

    private static byte[] Bytes(int size) => [.. Enumerable.Range(0, size).Select(i => (byte)(i * 7))];

    /// <summary>A sender that never stops, counting what it handed out.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(0x5A);
            Served += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
