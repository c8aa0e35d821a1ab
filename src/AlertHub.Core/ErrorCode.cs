namespace AlertHub.Core;

/// <summary>One row of the error-code table: the stable <c>code</c> of a ProblemDetails, its usual HTTP status and what it means.</summary>
public sealed record ErrorCode(string Code, int Status, string Title);
