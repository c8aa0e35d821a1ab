using System.Security.Cryptography;
using System.Text;

namespace AlertHub.MobileSim.Population;

/// <summary>
/// Per-resident webhook secrets derived from the seed, so a run is reproducible without drawing from the
/// population's Random (which would shift every other attribute when the channel mix changes).
/// </summary>
internal static class WebhookSecrets
{
    public static string Derive(int seed, string externalId)
    {
        var key = Encoding.UTF8.GetBytes("alerthub-mobile-sim/webhook-secret/" + seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(externalId));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
