namespace AlertHub.Server.Features.Auth;

/// <summary>
/// The names of the staff session scheme and its cookie. The scheme itself lives in Staff (users and sessions); Auth only
/// needs its names to pick, per request, between an API key and a session.
/// </summary>
internal static class StaffSchemes
{
    public const string Session = "StaffSession";
    public const string SessionCookie = "alerthub.staff";
}
