using System.Text;
using System.Text.RegularExpressions;

namespace AlertHub.Server.Features.Cameras;

/// <summary>
/// Rewrites every URI an HLS playlist holds: each URI line (variant playlists, media segments) and every
/// <c>URI=</c> attribute of a tag (keys, init segments, renditions, i-frame playlists, preload hints),
/// quoted or not, since ffmpeg and hls.js both accept an unquoted value. Lines are told apart the way
/// players do: a line whose first non-blank character is '#' is a tag, any other non-empty line is a URI.
/// </summary>
internal static partial class HlsPlaylist
{
    public const int MaxBytes = 1024 * 1024;

    /// <summary>
    /// Returns the playlist with each reference resolved against <paramref name="playlistUrl"/> and passed
    /// to <paramref name="map"/>; a null from it drops a URI line and empties a <c>URI=</c> attribute.
    /// </summary>
    public static string Rewrite(string playlist, Uri playlistUrl, Func<Uri, string?> map)
    {
        var output = new StringBuilder(playlist.Length + 256);
        foreach (var raw in playlist.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                output.Append('\n');
                continue;
            }

            if (line.StartsWith('#'))
            {
                output.Append(UriAttribute().Replace(line, m => $"URI=\"{Resolve(m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Groups["bare"].Value)}\"")).Append('\n');
                continue;
            }

            if (Resolve(line) is { Length: > 0 } local)
            {
                output.Append(local).Append('\n');
            }
        }

        return output.ToString();

        string Resolve(string reference) =>
            Uri.TryCreate(playlistUrl, reference.Trim(), out var absolute) ? map(absolute) ?? "" : "";
    }

    /// <summary>Whether a response is a playlist: by type, by the <c>.m3u8</c> path, or by the <c>#EXTM3U</c> every playlist starts with.</summary>
    public static bool IsPlaylist(Uri url, string? mediaType, ReadOnlySpan<byte> start) =>
        url.AbsolutePath.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase)
        || (mediaType ?? "").Contains("mpegurl", StringComparison.OrdinalIgnoreCase)
        || start.TrimStart("\uFEFF"u8).StartsWith("#EXTM3U"u8);

    // An attribute follows the tag's ':' or a ',' (players skip blanks in between); the name is matched
    // without regard to case so no spelling slips past.
    [GeneratedRegex("""(?<=[:,]\s*)URI=(?:"(?<quoted>[^"]*)"?|(?<bare>[^,"\s]*))""", RegexOptions.IgnoreCase)]
    private static partial Regex UriAttribute();
}
