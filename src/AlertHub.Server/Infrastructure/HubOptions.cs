namespace AlertHub.Server.Infrastructure;

/// <summary>Configuration section <c>Hub</c>.</summary>
public sealed class HubOptions
{
    /// <summary>The hub's public base URL, used in links it sends (e-mail confirmation and unsubscribe, image URLs).
    /// Default <c>http://localhost:5080</c>.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5080";
}
