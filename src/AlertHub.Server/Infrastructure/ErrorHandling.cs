using System.Text.Json;
using AlertHub.Core.Geo;
using Microsoft.AspNetCore.Diagnostics;

namespace AlertHub.Server.Infrastructure;

/// <summary>Maps exceptions that escape endpoints to ProblemDetails with stable codes.</summary>
internal sealed partial class ProblemExceptionHandler(
    AlertHub.Core.Storage.IStoreFaults storeFaults,
    Microsoft.Extensions.Options.IOptions<StoreUnavailableOptions> storeUnavailable,
    ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, title, detail) = exception switch
        {
            // A failover or restart: a passing state the caller should wait out, not an error in the hub or the request.
            _ when storeFaults.IsUnavailable(exception) => (503, Problems.StoreUnavailable, "The database is not available right now.",
                "It is failing over or restarting. Try again after the Retry-After seconds."),
            RequestValidationException v => (v.Status, v.Code, "The request is not valid.", v.Message),
            GeoJsonException g => (400, g.Code, "The geometry is not valid.", $"{g.Reason} (at {g.Path})"),
            InvalidJsonTextException t => (400, t.Code, "The request body is not valid text.", t.Message),
            BadHttpRequestException { StatusCode: 413 } => (413, Problems.TooLarge, "The request body is too large.", exception.Message),
            BadHttpRequestException { StatusCode: 415 } => (415, Problems.UnsupportedMediaType, "Unsupported media type.", exception.Message),
            BadHttpRequestException b when b.InnerException is JsonException =>
                (400, Problems.MalformedJson, "The request body is not valid JSON.", b.InnerException.Message),
            BadHttpRequestException b => (b.StatusCode, Problems.InvalidRequest, "The request is not valid.", b.Message),
            JsonException j => (400, Problems.MalformedJson, "The request body is not valid JSON.", j.Message),
            _ => (500, Problems.Internal, "An unexpected error occurred.", (string?)null),
        };
        if (code == Problems.StoreUnavailable)
        {
            LogStoreUnavailable(logger, httpContext.Request.Path, exception.GetType().Name, exception.Message);
        }
        else if (status >= 500)
        {
            LogUnhandled(logger, httpContext.Request.Path, exception);
        }

        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        if (code == Problems.StoreUnavailable)
        {
            httpContext.Response.Headers.RetryAfter =
                ((int)Math.Ceiling(storeUnavailable.Value.UnavailableRetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await Problems.WriteAsync(httpContext, status, code, title, detail);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store was unavailable for {Path} ({Type}: {Reason}); answered 503")]
    private static partial void LogStoreUnavailable(ILogger logger, string path, string type, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Path}")]
    private static partial void LogUnhandled(ILogger logger, string path, Exception exception);
}

/// <summary>Read from the <c>Storage</c> section (next to the engine's own options): how a request that met the store
/// failing over is answered.</summary>
internal sealed class StoreUnavailableOptions
{
    /// <summary>The Retry-After of a 503 <c>store.unavailable</c>. Default 5 s (a pg_auto_failover promotion took about 7 s
    /// here; Npgsql looks for the new primary every second with <c>Host Recheck Seconds=1</c>).</summary>
    public TimeSpan UnavailableRetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Marks an endpoint's maximum request body size (enforced by <see cref="BodyLimitMiddleware"/>).</summary>
internal sealed record BodyLimit(long Bytes);

/// <summary>
/// Enforces per-endpoint body limits with a clear 413 ProblemDetails, on Kestrel and the test server alike,
/// before a large body is buffered.
/// </summary>
internal sealed class BodyLimitMiddleware(RequestDelegate next, long defaultLimit)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>()?.Bytes ?? defaultLimit;
        if (context.Request.ContentLength is long length && length > limit)
        {
            await Problems.WriteAsync(context, 413, Problems.TooLarge, "The request body is too large.",
                $"The body is {length} bytes; this endpoint accepts at most {limit} bytes.");
            return;
        }

        if (context.Request.ContentLength is null && HttpMethods.IsGet(context.Request.Method) is false)
        {
            context.Request.Body = new LengthLimitedStream(context.Request.Body, limit, context);
        }

        await next(context);
    }
}

/// <summary>Fails reading past a limit (chunked bodies carry no Content-Length).</summary>
internal sealed class LengthLimitedStream(Stream inner, long limit, HttpContext? context = null) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int n)
    {
        _read += n;
        if (_read > limit)
        {
            // Body binding answers a BadHttpRequestException with its bare status; the code and detail travel with the request.
            var detail = $"The body exceeds {limit} bytes.";
            context?.SetProblem(Problems.TooLarge, detail);
            throw new BadHttpRequestException(detail, StatusCodes.Status413PayloadTooLarge);
        }

        return n;
    }
}
