using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>Checks <c>Channels:Line</c> when the hub starts.</summary>
internal sealed class LineOptionsValidator : IValidateOptions<LineChannelOptions>
{
    public ValidateOptionsResult Validate(string? name, LineChannelOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.ChannelAccessToken))
        {
            errors.Add("Channels:Line:ChannelAccessToken is required when the LINE channel is enabled.");
        }

        if (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("https" or "http"))
        {
            errors.Add("Channels:Line:BaseUrl must be an absolute http(s) URL.");
        }

        if (o.Mode == LineSendMode.Narrowcast && o.NarrowcastAudienceGroupId is null)
        {
            errors.Add("Channels:Line:NarrowcastAudienceGroupId is required in Narrowcast mode.");
        }

        if (o.MulticastChunkSize is < 1 or > LineMessages.MaxMulticastRecipients)
        {
            errors.Add("Channels:Line:MulticastChunkSize must be 1–500.");
        }

        if (o.MaxBatchSize < 1 || o.MaxConcurrency < 1)
        {
            errors.Add("Channels:Line:MaxBatchSize and MaxConcurrency must be at least 1.");
        }

        if (o.ThrottleBackoff <= TimeSpan.Zero || o.RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add("Channels:Line:ThrottleBackoff and RequestTimeout must be positive.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
