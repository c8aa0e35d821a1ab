using System.Text.RegularExpressions;
using AlertHub.Core.Delivery;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Residents;

/// <summary>Turns a request into a <see cref="ValidResident"/> or throws a <see cref="RequestValidationException"/> with a stable code.</summary>
internal sealed partial class ResidentValidator(IOptions<ResidentsOptions> options, ChannelRegistry channels, IEnumerable<IEndpointValidator> endpointValidators)
{
    private readonly Dictionary<string, IEndpointValidator> _validators = endpointValidators.ToDictionary(v => v.Channel, StringComparer.Ordinal);

    private const int MaxTags = 20;
    private const int MaxTagLength = 64;

    public ValidResident Validate(ResidentRequest? request)
    {
        if (request is null)
        {
            throw new RequestValidationException(Problems.ResidentInvalid, "The body must be a resident object.");
        }

        var o = options.Value;
        var attributes = request.Attributes ?? new ResidentAttributesDto(null, null, null);
        var household = Normalise(attributes.HouseholdTags, "householdTags");
        foreach (var tag in household)
        {
            if (!o.HouseholdTags.Contains(tag, StringComparer.OrdinalIgnoreCase))
            {
                throw new RequestValidationException(Problems.ResidentHouseholdTagUnknown,
                    $"Household tag '{tag}' is not known. Known tags: {string.Join(", ", o.HouseholdTags)}.");
            }
        }

        var tags = Normalise(attributes.Tags, "tags");
        var language = attributes.Language?.Trim();
        if (string.IsNullOrEmpty(language))
        {
            language = null;
        }
        else if (!LanguageTag().IsMatch(language))
        {
            throw new RequestValidationException(Problems.ResidentLanguageInvalid, $"Language '{language}' is not a BCP 47 tag such as ja, en or ja-x-easy.");
        }

        var places = new List<ValidPlace>();
        var requestedPlaces = request.Places ?? [];
        if (requestedPlaces.Length > o.MaxPlaces)
        {
            throw new RequestValidationException(Problems.ResidentTooManyPlaces, $"At most {o.MaxPlaces} places may be registered.");
        }

        for (var i = 0; i < requestedPlaces.Length; i++)
        {
            var p = requestedPlaces[i];
            if (p is null || p.Lat is not double lat || p.Lon is not double lon || !double.IsFinite(lat) || !double.IsFinite(lon)
                || lat is < -90 or > 90 || lon is < -180 or > 180)
            {
                throw new RequestValidationException(Problems.ResidentPlaceInvalid,
                    $"places[{i}] needs lat in [-90, 90] and lon in [-180, 180].", new Dictionary<string, object?> { ["index"] = i });
            }

            if (p.Label is { Length: > 100 })
            {
                throw new RequestValidationException(Problems.ResidentPlaceInvalid, $"places[{i}].label is longer than 100 characters.",
                    new Dictionary<string, object?> { ["index"] = i });
            }

            places.Add(new ValidPlace(p.Label, lat, lon));
        }

        var endpoints = new List<ValidEndpoint>();
        var requestedEndpoints = request.Endpoints ?? [];
        if (requestedEndpoints.Length > o.MaxEndpoints)
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid, $"At most {o.MaxEndpoints} endpoints may be registered.");
        }

        for (var i = 0; i < requestedEndpoints.Length; i++)
        {
            endpoints.Add(ValidateEndpoint(requestedEndpoints[i], i));
        }

        if (request.ExternalId is { Length: > 200 })
        {
            throw new RequestValidationException(Problems.ResidentInvalid, "externalId is longer than 200 characters.");
        }

        return new ValidResident(household, language, tags, places, endpoints, request.ExternalId);
    }

    private ValidEndpoint ValidateEndpoint(EndpointDto? endpoint, int index)
    {
        var where = new Dictionary<string, object?> { ["index"] = index };
        if (endpoint?.Channel is not { Length: > 0 } channel)
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid, $"endpoints[{index}].channel is required.", where);
        }

        channel = channel.Trim().ToLowerInvariant();
        if (!channels.IsKnown(channel))
        {
            throw new RequestValidationException(Problems.ResidentChannelUnknown,
                $"endpoints[{index}]: channel '{channel}' is not enabled on this hub. Enabled: {string.Join(", ", channels.Names)}.", where);
        }

        if (_validators.TryGetValue(channel, out var validator))
        {
            return validator.Validate(endpoint, index);
        }

        if (endpoint.Address is not { Length: > 0 and <= 4096 } address)
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid, $"endpoints[{index}].address is required.", where);
        }

        return new ValidEndpoint(channel, address, endpoint.Secret);
    }

    private static string[] Normalise(string[]? values, string field)
    {
        if (values is null)
        {
            return [];
        }

        if (values.Length > MaxTags)
        {
            throw new RequestValidationException(Problems.ResidentInvalid, $"{field} has more than {MaxTags} entries.");
        }

        var result = new List<string>(values.Length);
        foreach (var raw in values)
        {
            var v = raw?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(v) || v.Length > MaxTagLength)
            {
                throw new RequestValidationException(Problems.ResidentInvalid, $"{field} entries must be 1–{MaxTagLength} characters.");
            }

            if (!result.Contains(v))
            {
                result.Add(v);
            }
        }

        return [.. result];
    }

    [GeneratedRegex("^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")]
    private static partial Regex LanguageTag();
}
