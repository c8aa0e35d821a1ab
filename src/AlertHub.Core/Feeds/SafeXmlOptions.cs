namespace AlertHub.Core.Feeds;

/// <summary>Limits for reading untrusted XML.</summary>
/// <param name="MaxBytes">Largest document. Default 5 MB.</param>
/// <param name="MaxDepth">Deepest element nesting. Default 64.</param>
public sealed record SafeXmlOptions(long MaxBytes = 5 * 1024 * 1024, int MaxDepth = 64);
