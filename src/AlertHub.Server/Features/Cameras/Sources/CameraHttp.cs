using System.Net.Http.Headers;
using AlertHub.Core.Storage;

namespace AlertHub.Server.Features.Cameras.Sources;

/// <summary>The GET the HTTP sources send, and how they word a refusal.</summary>
internal static class CameraHttp
{
    /// <summary>A GET of <paramref name="url"/>, with Basic authorization when the camera has credentials.</summary>
    public static HttpRequestMessage Get(string url, CameraCredentials? credentials)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (credentials is not null)
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(CameraUrls.BasicAuthorization(credentials));
        }

        return request;
    }

    /// <summary>Redirects are not followed for stills and MJPEG (the client has them off): say so, with where it pointed.</summary>
    public static string Answered(HttpResponseMessage response) => response.Headers.Location is { } location && (int)response.StatusCode is >= 300 and < 400
        ? $"camera answered {(int)response.StatusCode} redirecting to {GatewaySession.Describe(location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location))}; redirects are not followed, register the final URL"
        : $"camera answered {(int)response.StatusCode}";
}
