using System.Threading.Channels;
using AlertHub.Server.Features.Residents;
using MailKit.Net.Smtp;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

/// <summary>
/// Double opt-in: after residents are stored, their pending e-mail endpoints get a confirmation mail with a signed
/// link. Sending runs in the background (registration never waits for SMTP), over one reused connection for
/// whatever is queued, with a few bounded retries. A mail that still fails is dropped with a warning: the
/// address stays pending and the resident can register again.
/// </summary>
internal sealed partial class EmailConfirmations(
    EmailEndpoints endpoints,
    EmailTransport transport,
    EmailMessageBuilder builder,
    TimeProvider time,
    ILogger<EmailConfirmations> logger) : BackgroundService, IEndpointRegistrationHook
{
    private const int MaxAttempts = 3;

    private readonly Channel<EmailEndpoint> _queue = Channel.CreateBounded<EmailEndpoint>(
        new BoundedChannelOptions(50_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public async Task OnRegisteredAsync(IReadOnlyList<Guid> residentIds, CancellationToken cancellationToken)
    {
        foreach (var endpoint in await endpoints.ForResidentsAsync(residentIds, EndpointStates.Pending, cancellationToken))
        {
            if (!_queue.Writer.TryWrite(endpoint))
            {
                LogQueueFull(logger, endpoint.Id);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pending = new List<(EmailEndpoint Endpoint, int Attempts)>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (pending.Count == 0)
                {
                    pending.Add((await _queue.Reader.ReadAsync(stoppingToken), 0));
                }

                while (pending.Count < 500 && _queue.Reader.TryRead(out var more))
                {
                    pending.Add((more, 0));
                }

                pending = await SendAsync(pending, stoppingToken);
                if (pending.Count > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private async Task<List<(EmailEndpoint, int)>> SendAsync(List<(EmailEndpoint Endpoint, int Attempts)> batch, CancellationToken cancellationToken)
    {
        var retry = new List<(EmailEndpoint, int)>();
        SmtpClient? client = null;
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var endpoint = batch[i].Endpoint;
                try
                {
                    client ??= await transport.ConnectAsync(cancellationToken);
                    await transport.SendAsync(client, builder.BuildConfirmation(endpoint.Id, endpoint.Address), cancellationToken);
                    LogSent(logger, endpoint.Id);
                }
                catch (SmtpCommandException e) when ((int)e.StatusCode >= 500 && e.StatusCode != SmtpStatusCode.ServiceNotAvailable)
                {
                    LogFailed(logger, endpoint.Id, $"SMTP {(int)e.StatusCode}");
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // A 4xx or a broken connection: this one and, if the connection is gone, the rest wait for the next round.
                    var last = client is { IsConnected: true } ? i : batch.Count - 1;
                    for (var j = i; j <= last; j++)
                    {
                        if (batch[j].Attempts + 1 < MaxAttempts)
                        {
                            retry.Add((batch[j].Endpoint, batch[j].Attempts + 1));
                        }
                        else
                        {
                            LogFailed(logger, batch[j].Endpoint.Id, e.GetType().Name);
                        }
                    }

                    i = last;
                }
            }
        }
        finally
        {
            if (client is not null)
            {
                await EmailTransport.CloseAsync(client);
            }
        }

        return retry;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "E-mail: confirmation sent for endpoint {EndpointId}")]
    private static partial void LogSent(ILogger logger, long endpointId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "E-mail: confirmation for endpoint {EndpointId} not sent: {Reason}")]
    private static partial void LogFailed(ILogger logger, long endpointId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "E-mail: confirmation queue full, endpoint {EndpointId} stays pending without a mail")]
    private static partial void LogQueueFull(ILogger logger, long endpointId);
}
