using System.Globalization;
using System.Text.RegularExpressions;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;
using MimeKit;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

/// <summary>
/// E-mail endpoints: one bare address (no display name, no list), ASCII local part, domain with at least one dot
/// and no IP literal; an internationalised domain is stored in its ASCII (punycode) form and lower-cased. RFC 5321
/// length limits apply (64 local, 253 domain, 254 total). Dots are allowed anywhere in the local part because
/// older Japanese carrier addresses (<c>taro..yamada.@docomo.ne.jp</c>) still exist and still receive mail.
/// With <see cref="EmailChannelOptions.RequireConfirmation"/> the endpoint is stored pending (double opt-in).
/// </summary>
internal sealed partial class EmailEndpointValidator(IOptions<EmailChannelOptions> options) : IEndpointValidator
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    // Looser: accepts the consecutive and trailing dots of legacy carrier local parts; everything else is checked below.
    private static readonly ParserOptions Parser = new() { AddressParserComplianceMode = RfcComplianceMode.Looser, AllowAddressesWithoutDomain = false };

    public string Channel => EmailChannel.ChannelName;

    public ValidEndpoint Validate(EndpointDto endpoint, int index)
    {
        if (!TryNormalise(endpoint.Address, out var address, out var reason))
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid, $"endpoints[{index}].address: {reason}",
                new Dictionary<string, object?> { ["index"] = index });
        }

        return new ValidEndpoint(Channel, address, null, options.Value.RequireConfirmation ? EndpointStates.Pending : EndpointStates.Active);
    }

    public static bool TryNormalise(string? input, out string address, out string reason)
    {
        address = "";
        var raw = input?.Trim();
        if (string.IsNullOrEmpty(raw) || raw.Length > 320)
        {
            reason = "an e-mail address is required (at most 254 characters).";
            return false;
        }

        if (raw.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or ',' or ';' or '"' or '(' or ')' or '[' or ']' or '\\'))
        {
            reason = "give one bare address such as taro@example.jp (no name, brackets, quotes or lists).";
            return false;
        }

        if (!MailboxAddress.TryParse(Parser, raw, out var mailbox) || !string.IsNullOrEmpty(mailbox.Name))
        {
            reason = "not an e-mail address.";
            return false;
        }

        var at = raw.LastIndexOf('@');
        if (at <= 0 || at == raw.Length - 1)
        {
            reason = "the address needs a local part and a domain.";
            return false;
        }

        var local = raw[..at];
        var domain = raw[(at + 1)..];
        if (local.Length > 64 || !LocalPart().IsMatch(local))
        {
            reason = "the part before @ must be at most 64 ASCII letters, digits or !#$%&'*+-/=?^_`{|}~. characters.";
            return false;
        }

        try
        {
            domain = Idn.GetAscii(domain.TrimEnd('.')).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            reason = "the domain is not a valid (internationalised) domain name.";
            return false;
        }

        if (domain.Length > 253 || !domain.Contains('.', StringComparison.Ordinal) || domain.Split('.').Any(l => l.Length is 0 or > 63)
            || domain.Split('.')[^1].All(char.IsAsciiDigit))
        {
            reason = "the domain must be a public host name such as example.jp.";
            return false;
        }

        address = local + "@" + domain;
        if (address.Length > 254)
        {
            reason = "the address is longer than 254 characters.";
            return false;
        }

        reason = "";
        return true;
    }

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+$")]
    private static partial Regex LocalPart();
}
