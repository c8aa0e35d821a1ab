namespace AlertHub.Server.Features.Residents;

/// <summary>
/// Checks and normalises a resident's endpoint address for one channel (a URL, a device token, a LINE user
/// id, an e-mail address…). Channels without one only require a non-empty address.
/// Throw <see cref="Infrastructure.RequestValidationException"/> with a <c>residents.*</c> code on bad input.
/// </summary>
internal interface IEndpointValidator
{
    string Channel { get; }

    ValidEndpoint Validate(EndpointDto endpoint, int index);
}

/// <summary>
/// Optional for a channel: runs after residents were stored (registration, update, bulk import), e.g. to send
/// the e-mail double opt-in confirmation for endpoints its validator stored as pending. It must not throw for
/// delivery problems and should return quickly (queue slow work).
/// </summary>
internal interface IEndpointRegistrationHook
{
    Task OnRegisteredAsync(IReadOnlyList<Guid> residentIds, CancellationToken cancellationToken);
}
