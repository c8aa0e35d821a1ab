namespace AlertHub.Core.Feeds;

/// <summary>
/// A document the hub refuses. <see cref="Code"/> is a stable ProblemDetails code: <c>feeds.xml_dtd_forbidden</c>,
/// <c>feeds.too_large</c>, <c>feeds.too_deep</c>, <c>feeds.xml_malformed</c>, <c>feeds.encoding_invalid</c>,
/// <c>feeds.unrecognized</c> (not JMA, L-Alert or CAP), <c>feeds.invalid</c> (recognised but missing what it must have).
/// </summary>
public sealed class FeedRejectedException(string code, string reason, Exception? inner = null) : Exception(reason, inner)
{
    public string Code { get; } = code;
}
