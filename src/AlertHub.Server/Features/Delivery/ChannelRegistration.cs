using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using AlertHub.Server.Features.Security;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery;

/// <summary>What every channel's options have: <c>Channels:&lt;Name&gt;:Enabled</c>. A channel does nothing unless it is true.</summary>
public interface IChannelOptions
{
    /// <summary>Whether the channel runs. Default false.</summary>
    bool Enabled { get; }
}

/// <summary>
/// A channel plug-in, keyed by name in the way of YARP's: the channel class says, in one static method, what it needs
/// besides itself (an HTTP client, an endpoint validator, an options validator, a receiver it maps). Called only when
/// the channel is enabled.
/// </summary>
internal interface IChannelSetup<TOptions> where TOptions : class, IChannelOptions, new()
{
    static abstract void Configure(ChannelBuilder<TOptions> channel);
}

/// <summary>One <see cref="DeliveryBuilder.AddChannel{TChannel, TOptions}"/> call, as <see cref="ChannelCatalog"/> lists it.</summary>
internal sealed record ChannelRegistration(string Name, string Section, Type ChannelType, Type OptionsType, bool Enabled);

/// <summary>Every channel registered with <see cref="DeliveryBuilder.AddChannel{TChannel, TOptions}"/>, enabled or not, and what the enabled ones map.</summary>
internal sealed class ChannelCatalog
{
    private readonly List<ChannelRegistration> _all = [];
    private readonly List<Action<IEndpointRouteBuilder>> _endpoints = [];

    public IReadOnlyList<ChannelRegistration> All => _all;

    internal void Add(ChannelRegistration registration)
    {
        if (_all.Any(r => r.Name == registration.Name))
        {
            throw new InvalidOperationException($"Channel '{registration.Name}' is registered twice.");
        }

        _all.Add(registration);
    }

    internal void AddEndpoints(Action<IEndpointRouteBuilder> map) => _endpoints.Add(map);

    internal void MapEndpoints(IEndpointRouteBuilder app)
    {
        foreach (var map in _endpoints)
        {
            map(app);
        }
    }
}

/// <summary>Residents cannot subscribe to a channel that posts to the city's own accounts: every address is refused.</summary>
internal sealed class RefusingEndpointValidator(string channel, string why) : IEndpointValidator
{
    public string Channel => channel;

    public ValidEndpoint Validate(EndpointDto endpoint, int index) =>
        throw new Infrastructure.RequestValidationException(Infrastructure.Problems.ResidentChannelUnknown, $"endpoints[{index}]: {why}");
}

/// <summary>Returned by <c>AddDelivery()</c>: channels are added to it one line each.</summary>
internal sealed class DeliveryBuilder(IHostApplicationBuilder host, ChannelCatalog catalog)
{
    public IHostApplicationBuilder Host { get; } = host;

    /// <summary>
    /// Adds channel <paramref name="name"/>: binds <typeparamref name="TOptions"/> to its section and validates it at start;
    /// when <c>Enabled</c>, registers <typeparamref name="TChannel"/> as a singleton under each channel interface it
    /// implements (<see cref="IDeliveryChannel"/>, <see cref="IPullChannel"/>, <see cref="Alerts.IBroadcastChannel"/>) and
    /// lets it configure the rest.
    /// </summary>
    public DeliveryBuilder AddChannel<TChannel, TOptions>(string name)
        where TChannel : class, IChannelSetup<TOptions>
        where TOptions : class, IChannelOptions, new()
    {
        var sectionName = ChannelNames.Section(name);
        var section = Host.Configuration.GetSection(sectionName);
        Host.Services.AddOptions<TOptions>().Bind(section).ValidateOnStart();
        var options = section.Get<TOptions>() ?? new TOptions();
        catalog.Add(new ChannelRegistration(name, sectionName, typeof(TChannel), typeof(TOptions), options.Enabled));
        if (!options.Enabled)
        {
            return this;
        }

        var services = Host.Services;
        services.AddSingleton<TChannel>();
        if (typeof(IDeliveryChannel).IsAssignableFrom(typeof(TChannel)))
        {
            services.AddSingleton(sp => (IDeliveryChannel)sp.GetRequiredService<TChannel>());
        }

        if (typeof(IPullChannel).IsAssignableFrom(typeof(TChannel)))
        {
            services.AddSingleton(sp => (IPullChannel)sp.GetRequiredService<TChannel>());
        }

        if (typeof(Alerts.IBroadcastChannel).IsAssignableFrom(typeof(TChannel)))
        {
            services.AddSingleton(sp => (Alerts.IBroadcastChannel)sp.GetRequiredService<TChannel>());
        }

        TChannel.Configure(new ChannelBuilder<TOptions>(name, sectionName, options, Host, catalog));
        return this;
    }
}

/// <summary>What an enabled channel's <see cref="IChannelSetup{TOptions}.Configure"/> may add.</summary>
internal sealed class ChannelBuilder<TOptions>(string name, string section, TOptions options, IHostApplicationBuilder host, ChannelCatalog catalog)
    where TOptions : class, IChannelOptions, new()
{
    /// <summary>The channel's name (<see cref="ChannelNames"/>), also the name of its HTTP client.</summary>
    public string Name { get; } = name;

    /// <summary>Its configuration section, e.g. <c>Channels:Fcm</c>, for messages.</summary>
    public string Section { get; } = section;

    /// <summary>The options as configured at start, for decisions made while registering.</summary>
    public TOptions Options { get; } = options;

    public IServiceCollection Services => host.Services;

    /// <summary>
    /// The channel's HTTP client, named <see cref="Name"/>, made by <see cref="OutboundHttp"/>: no redirects, no cookies,
    /// and (<paramref name="guarded"/>) every connection checked by <c>Security:OutboundUrls</c>. Leave it guarded for any
    /// URL that came from outside the hub's own configuration.
    /// </summary>
    public ChannelBuilder<TOptions> AddHttpClient(bool guarded = true, Action<TOptions, HttpClient>? configureClient = null,
        Action<TOptions, SocketsHttpHandler>? configureHandler = null)
    {
        Services.AddOutboundHttpClient(Name, guarded,
            configureClient is null ? null : (sp, c) => configureClient(sp.GetRequiredService<IOptions<TOptions>>().Value, c),
            configureHandler is null ? null : (sp, h) => configureHandler(sp.GetRequiredService<IOptions<TOptions>>().Value, h));
        return this;
    }

    /// <summary>Checks residents' addresses on this channel (every channel residents may name needs one).</summary>
    public ChannelBuilder<TOptions> AddEndpointValidator<TValidator>() where TValidator : class, IEndpointValidator
    {
        Services.AddSingleton<IEndpointValidator, TValidator>();
        return this;
    }

    /// <summary>
    /// For a channel that posts to the city's own accounts or devices (social media, radio gateways): a resident naming it
    /// gets 400 <c>residents.channel_unknown</c> with <paramref name="why"/>.
    /// </summary>
    public ChannelBuilder<TOptions> RefuseResidentEndpoints(string why)
    {
        Services.AddSingleton<IEndpointValidator>(new RefusingEndpointValidator(Name, why));
        return this;
    }

    /// <summary>Validates the options when the hub starts (a refusal stops the start with the validator's message).</summary>
    public ChannelBuilder<TOptions> AddOptionsValidator<TValidator>() where TValidator : class, IValidateOptions<TOptions>
    {
        Services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return this;
    }

    /// <summary>Endpoints the channel serves (a webhook receiver, a public key, a feed), mapped by <c>MapDeliveryApi</c>.</summary>
    public ChannelBuilder<TOptions> MapEndpoints(Action<IEndpointRouteBuilder> map)
    {
        catalog.AddEndpoints(map);
        return this;
    }
}
