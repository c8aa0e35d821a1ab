namespace AlertHub.Server.Infrastructure;

/// <summary>What <see cref="BoundedRead.ReadAsync"/> read: the bytes, and whether they were all there was.</summary>
/// <param name="Bytes">Everything when <paramref name="Complete"/>; otherwise the first limit + 1 bytes.</param>
internal readonly record struct BoundedBytes(byte[] Bytes, bool Complete);

/// <summary>
/// The one way the hub buffers a body it did not write (a pushed feed, a camera still, a drone photo, a webhook, a
/// playlist): it reads until the end or until more than the limit has come, and never further, so a hostile sender can
/// make it hold at most limit + 1 bytes.
/// </summary>
internal static class BoundedRead
{
    private const int ChunkBytes = 81920;

    public static async Task<BoundedBytes> ReadAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        using var buffer = new MemoryStream();
        var chunk = new byte[(int)Math.Min(ChunkBytes, maxBytes + 1)];
        while (true)
        {
            var wanted = (int)Math.Min(chunk.Length, maxBytes + 1 - buffer.Length);
            var read = await stream.ReadAsync(chunk.AsMemory(0, wanted), cancellationToken);
            if (read == 0)
            {
                return new BoundedBytes(buffer.ToArray(), Complete: true);
            }

            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                return new BoundedBytes(buffer.ToArray(), Complete: false);
            }
        }
    }

    /// <summary>The whole stream, or null as soon as it passes <paramref name="maxBytes"/> (the rest is not read).</summary>
    public static async Task<byte[]?> ReadAtMostAsync(Stream stream, long maxBytes, CancellationToken cancellationToken) =>
        await ReadAsync(stream, maxBytes, cancellationToken) is { Complete: true } read ? read.Bytes : null;

    /// <summary>The same for a response body; a Content-Length over the limit refuses it before a byte is read.</summary>
    public static async Task<byte[]?> ReadAtMostAsync(HttpContent content, long maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        return await ReadAtMostAsync(stream, maxBytes, cancellationToken);
    }
}
