using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Infrastructure;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Line;

/// <summary>Registers the LINE channel and its webhook receiver when <c>Channels:Line:Enabled</c> is true.</summary>
internal static class LineChannelSetup
{
    public static IHostApplicationBuilder AddLineChannel(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Channels:Line");
        builder.Services.Configure<LineChannelOptions>(section);
        if (!section.GetValue<bool>("Enabled"))
        {
            return builder;
        }

        builder.Services.AddSingleton<IValidateOptions<LineChannelOptions>, LineOptionsValidator>();
        builder.Services.AddOptions<LineChannelOptions>().ValidateOnStart();
        builder.Services.AddSingleton<LineClient>();
        builder.Services.AddSingleton<LineChannel>();
        builder.Services.AddSingleton<IDeliveryChannel>(sp => sp.GetRequiredService<LineChannel>());
        builder.Services.AddSingleton<IEndpointValidator, LineEndpointValidator>();
        builder.Services.AddSingleton<LineResidentStore>();
        builder.Services.AddSingleton<LineWebhook>();
        builder.Services.AddHttpClient(LineClient.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = Math.Max(1, sp.GetRequiredService<IOptions<LineChannelOptions>>().Value.MaxConcurrency),
                AllowAutoRedirect = false,
                UseCookies = false,
            });
        return builder;
    }

    /// <summary>Maps <c>POST /api/line/webhook</c> (public: the signature is its authentication) when the channel is on.</summary>
    public static IEndpointRouteBuilder MapLineChannel(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<LineWebhook>() is null)
        {
            return app;
        }

        app.MapPost(LineWebhook.Path, (HttpContext context, LineWebhook webhook) => webhook.HandleAsync(context))
            .WithTags("LINE")
            .AllowAnonymous();
        return app;
    }
}

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

/// <summary>LINE endpoints: the user id from a webhook event, <c>U</c> and 32 lowercase hex digits.</summary>
internal sealed class LineEndpointValidator : IEndpointValidator
{
    public string Channel => LineChannel.ChannelName;

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    public static bool IsUserId(string? value) =>
        value is { Length: 33 } && value[0] == 'U' && value.AsSpan(1).IndexOfAnyExcept(LowerHex) < 0;

    public ValidEndpoint Validate(EndpointDto endpoint, int index)
    {
        var address = endpoint.Address?.Trim();
        if (!IsUserId(address))
        {
            throw new RequestValidationException(Problems.ResidentEndpointInvalid,
                $"endpoints[{index}].address must be a LINE user id: U followed by 32 lowercase hex digits.",
                new Dictionary<string, object?> { ["index"] = index });
        }

        return new ValidEndpoint(Channel, address!, null);
    }
}
