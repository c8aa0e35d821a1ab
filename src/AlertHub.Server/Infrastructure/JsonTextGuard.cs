namespace AlertHub.Server.Infrastructure;

/// <summary>
/// Checks, byte by byte as a JSON body streams in, that every string (values and property names) is well-formed
/// Unicode: valid UTF-8 (no overlong forms, no encoded surrogates) and no unpaired <c>\uD800</c>-style escapes.
/// </summary>
/// <remarks>
/// JSON's grammar allows a lone surrogate escape, but no text can hold it: System.Text.Json refuses it only when
/// a string is finally read, which for <c>JsonElement</c>/<c>JsonNode</c> bodies happens deep inside an endpoint
/// (an <see cref="InvalidOperationException"/>, so a 500), and the UTF-8 writer cannot echo it back either. Checking
/// at the input layer makes every JSON endpoint answer the same 400 without each one having to remember.
/// The check keeps a few bytes of state, so it costs no buffering whatever the body size.
/// </remarks>
internal struct JsonTextValidator
{
    private State _state;
    private int _continuations;  // UTF-8 continuation bytes still expected in the current character
    private byte _nextMin;       // bounds for the next continuation byte (overlong, surrogate and > U+10FFFF forms)
    private byte _nextMax;
    private int _hexDigits;
    private int _hexValue;
    private bool _highSurrogatePending;

    private enum State : byte { Outside, InString, Escape, Hex }

    /// <summary>Feeds the next bytes; returns a reason when they break the text rules, else null.</summary>
    public string? Feed(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (Step(b) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private string? Step(byte b)
    {
        switch (_state)
        {
            case State.Outside:
                if (b == '"')
                {
                    _state = State.InString;
                }

                return null;

            case State.InString:
                if (_continuations > 0)
                {
                    if (b < _nextMin || b > _nextMax)
                    {
                        return "a string is not valid UTF-8.";
                    }

                    _continuations--;
                    (_nextMin, _nextMax) = (0x80, 0xBF);
                    return null;
                }

                if (_highSurrogatePending && b != '\\')
                {
                    return "a string holds an unpaired UTF-16 surrogate escape (\\uD800–\\uDBFF without a low surrogate after it).";
                }

                if (b == '"')
                {
                    _state = State.Outside;
                }
                else if (b == '\\')
                {
                    _state = State.Escape;
                }
                else if (b >= 0x80)
                {
                    return StartMultiByte(b);
                }

                return null;

            case State.Escape:
                if (b == 'u')
                {
                    (_state, _hexDigits, _hexValue) = (State.Hex, 0, 0);
                    return null;
                }

                _state = State.InString;
                return _highSurrogatePending ? "a string holds an unpaired UTF-16 surrogate escape." : null;

            case State.Hex:
                var digit = HexValue(b);
                if (digit < 0)
                {
                    // Not an escape at all: the JSON reader reports that as malformed JSON.
                    _state = State.InString;
                    _highSurrogatePending = false;
                    return null;
                }

                _hexValue = (_hexValue << 4) | digit;
                if (++_hexDigits < 4)
                {
                    return null;
                }

                _state = State.InString;
                return CompleteEscape(_hexValue);

            default:
                return null;
        }
    }

    private string? CompleteEscape(int value)
    {
        var high = value is >= 0xD800 and <= 0xDBFF;
        var low = value is >= 0xDC00 and <= 0xDFFF;
        if (_highSurrogatePending)
        {
            _highSurrogatePending = false;
            return low ? null : "a string holds an unpaired UTF-16 surrogate escape.";
        }

        if (low)
        {
            return "a string holds a lone low surrogate escape (\\uDC00–\\uDFFF).";
        }

        _highSurrogatePending = high;
        return null;
    }

    private string? StartMultiByte(byte b)
    {
        (_continuations, _nextMin, _nextMax) = b switch
        {
            >= 0xC2 and <= 0xDF => (1, (byte)0x80, (byte)0xBF),
            0xE0 => (2, (byte)0xA0, (byte)0xBF),
            0xED => (2, (byte)0x80, (byte)0x9F),
            >= 0xE1 and <= 0xEF => (2, (byte)0x80, (byte)0xBF),
            0xF0 => (3, (byte)0x90, (byte)0xBF),
            >= 0xF1 and <= 0xF3 => (3, (byte)0x80, (byte)0xBF),
            0xF4 => (3, (byte)0x80, (byte)0x8F),
            _ => (-1, (byte)0, (byte)0),
        };
        return _continuations < 0 ? "a string is not valid UTF-8." : null;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}

/// <summary>Thrown while a JSON body is read when one of its strings is not valid text.</summary>
internal sealed class InvalidJsonTextException(string reason)
    : BadHttpRequestException($"The request body is not valid text: {reason}", StatusCodes.Status400BadRequest)
{
    public string Code => Problems.InvalidText;
}

/// <summary>A read-only view of a body that runs <see cref="JsonTextValidator"/> over every byte it hands out.</summary>
internal sealed class JsonTextValidatingStream(Stream inner, HttpContext? context = null) : Stream
{
    private JsonTextValidator _validator;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Check(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        Check(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Check(ReadOnlySpan<byte> bytes)
    {
        if (_validator.Feed(bytes) is { } reason)
        {
            var exception = new InvalidJsonTextException(reason);
            // Body binding turns any BadHttpRequestException into a bare status code; the code travels with the request.
            context?.SetProblem(exception.Code, exception.Message);
            throw exception;
        }
    }
}

/// <summary>Wraps JSON request bodies in <see cref="JsonTextValidatingStream"/> (after the body limit, before any endpoint reads).</summary>
internal sealed class JsonTextMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (HasBody(context.Request) && IsJson(context))
        {
            context.Request.Body = new JsonTextValidatingStream(context.Request.Body, context);
        }

        return next(context);
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength is > 0 || (request.ContentLength is null && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method));

    // The request says JSON, or the endpoint reads JSON whatever the request says (GeoJSON uploads from curl often say neither).
    private static bool IsJson(HttpContext context) =>
        IsJsonMediaType(context.Request.ContentType) || context.GetEndpoint()?.Metadata.GetMetadata<ReadsJsonBody>() is not null;

    internal static bool IsJsonMediaType(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        var mediaType = contentType.AsSpan();
        var semicolon = mediaType.IndexOf(';');
        mediaType = (semicolon >= 0 ? mediaType[..semicolon] : mediaType).Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Marks an endpoint that parses its body as JSON itself, whatever the request's Content-Type, so the text check applies.</summary>
internal sealed record ReadsJsonBody
{
    public static readonly ReadsJsonBody Instance = new();
}
