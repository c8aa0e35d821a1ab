using AlertHub.Server.Features.Security;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Social;

/// <summary>
/// Checks <c>Channels:Social</c> when the hub starts: every account has a unique name, a kind, a BaseUrl and a token, and
/// its BaseUrl passes <c>Security:OutboundUrls</c> — a refused instance is a configuration error, not a retry loop.
/// </summary>
internal sealed class SocialChannelOptionsValidator(OutboundUrlPolicy policy) : IValidateOptions<SocialChannelOptions>
{
    public ValidateOptionsResult Validate(string? name, SocialChannelOptions options)
    {
        var failures = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var account in options.Accounts)
        {
            if (string.IsNullOrWhiteSpace(account.Name) || !names.Add(account.Name))
            {
                failures.Add("Channels:Social: every account needs a unique Name");
                continue;
            }

            if (account.Kind is not ("mastodon" or "x") || !Uri.TryCreate(account.BaseUrl, UriKind.Absolute, out _) || string.IsNullOrWhiteSpace(account.AccessToken))
            {
                failures.Add($"Channels:Social account {account.Name}: Kind mastodon|x, an absolute BaseUrl and an AccessToken are required");
            }
            else if (!policy.IsAllowed(account.BaseUrl, out var reason))
            {
                failures.Add($"Channels:Social account {account.Name}: BaseUrl is refused by Security:OutboundUrls: {reason}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
