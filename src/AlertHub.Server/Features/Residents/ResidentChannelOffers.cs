using AlertHub.Core.Delivery;

namespace AlertHub.Server.Features.Residents;

/// <summary>How a resident signs up for one channel on the resident page.</summary>
/// <param name="Name">The channel (<c>signalr</c>, <c>webpush</c>, <c>email</c>, <c>sms</c>, <c>voice</c>, <c>line</c>).</param>
/// <param name="Signup"><c>page</c>: this page while it is open; <c>browser</c>: the browser's push service (Web Push);
/// <c>address</c>: the resident types an address (<paramref name="AddressType"/> <c>email</c> or <c>tel</c>);
/// <c>link</c>: the resident follows <paramref name="Url"/> (the city's LINE account) and signs up there.</param>
/// <param name="Confirms">The address only receives alerts after its owner confirms it (e-mail double opt-in).</param>
internal sealed record ResidentChannelOffer(string Name, string Signup, string? AddressType = null, string? Url = null, bool Confirms = false);

/// <summary>
/// The channels the resident page offers: those the hub has enabled and a resident can sign up for themselves, in the
/// order the page lists them. Channels residents do not sign up for here (the city app's FCM, partners' webhooks,
/// loudspeakers, social posts, the CAP feed) are never offered, so a box can never promise a channel that is off.
/// </summary>
internal static class ResidentChannelOffers
{
    public static IReadOnlyList<ResidentChannelOffer> For(ChannelRegistry channels, IConfiguration configuration, string? lineFriendUrl)
    {
        var offers = new List<ResidentChannelOffer>();
        void Offer(string name, ResidentChannelOffer offer)
        {
            if (channels.IsKnown(name))
            {
                offers.Add(offer);
            }
        }

        Offer("signalr", new("signalr", "page"));
        Offer("webpush", new("webpush", "browser"));
        // Channels:Email:RequireConfirmation defaults to true (EmailChannelOptions).
        Offer("email", new("email", "address", "email", Confirms: configuration.GetValue("Channels:Email:RequireConfirmation", true)));
        Offer("sms", new("sms", "address", "tel"));
        Offer("voice", new("voice", "address", "tel"));
        if (!string.IsNullOrWhiteSpace(lineFriendUrl))
        {
            Offer("line", new("line", "link", Url: lineFriendUrl));
        }

        return offers;
    }
}
