using System.Net.Sockets;
using AlertHub.Core.Delivery;
using AlertHub.Server.Features.Residents;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using AlertHub.Server.Features.Storage;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

/// <summary>
/// 安全・安心メール over SMTP: one message per recipient (a personal unsubscribe link and Message-ID), a batch
/// dealt evenly over up to <see cref="EmailChannelOptions.MaxConcurrency"/> connections, each reused for up to
/// <see cref="EmailChannelOptions.MaxMessagesPerConnection"/> messages. Reply classes (RFC 5321): 550/551/553 on
/// RCPT → the address is gone; other 5xx → rejected; 421 and 4.7.x → throttled; other 4xx and broken
/// connections → transient (for the item in flight and everything not yet sent on that connection).
/// </summary>
internal sealed partial class EmailChannel(
    EmailTransport transport,
    EmailMessageBuilder builder,
    EmailEndpoints endpoints,
    IOptions<EmailChannelOptions> options,
    ILogger<EmailChannel> logger) : IDeliveryChannel, IChannelHealth, IChannelSetup<EmailChannelOptions>
{
    public const string ChannelName = ChannelNames.Email;

    public static void Configure(ChannelBuilder<EmailChannelOptions> channel)
    {
        var services = channel.Services;
        services.AddSingleton(sp => EmailLinkSigner.Create(sp.GetRequiredService<IOptions<EmailChannelOptions>>(), sp.GetRequiredService<StoragePaths>()));
        services.AddSingleton<EmailTransport>();
        services.AddSingleton<EmailMessageBuilder>();
        services.AddSingleton<EmailEndpoints>();
        services.AddSingleton<EmailConfirmations>();
        services.AddSingleton<IEndpointRegistrationHook>(sp => sp.GetRequiredService<EmailConfirmations>());
        services.AddHostedService(sp => sp.GetRequiredService<EmailConfirmations>());
        channel.AddOptionsValidator<EmailOptionsValidator>()
            .AddEndpointValidator<EmailEndpointValidator>()
            .MapEndpoints(EmailLinks.Map);
    }

    private volatile string? _problem;

    public string Name => ChannelName;

    public bool CountsTowardKpi => true;

    public ChannelLimits Limits { get; } = new(options.Value.MaxBatchSize, MaxTitleLength: 120, MaxBodyLength: 4000, options.Value.MaxConcurrency);

    public string? Problem => _problem;

    public async Task<DeliveryReport> SendAsync(DeliveryBatch batch, CancellationToken cancellationToken)
    {
        var items = batch.Items;
        var results = new DeliveryItemResult?[items.Count];

        // The unsubscribe link is signed over the endpoint id, which the outbox item does not carry.
        var ids = (await endpoints.ForResidentsAsync([.. items.Select(i => i.ResidentId).Distinct()], EndpointStates.Active, cancellationToken))
            .ToLookup(e => (e.ResidentId, e.Address), e => e.Id);
        var work = new List<(int Index, long EndpointId)>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (ids[(items[i].ResidentId, items[i].Address)].FirstOrDefault() is var id and > 0)
            {
                work.Add((i, id));
            }
            else
            {
                results[i] = new DeliveryItemResult(items[i].WorkId, DeliveryOutcome.AddressGone, "endpoint no longer active");
            }
        }

        // The batch is dealt evenly over the lanes (one SMTP connection each at a time), and each lane opens a new connection
        // every MaxMessagesPerConnection messages: no connection sits idle while another still has a queue (500 messages
        // over 4 connections of 100 used to leave one connection sending the fifth hundred alone).
        var o = options.Value;
        var lanes = Math.Clamp(o.MaxConcurrency, 1, Math.Max(1, work.Count));
        var perLane = Math.Max(1, (work.Count + lanes - 1) / lanes);
        await Parallel.ForEachAsync(work.Chunk(perLane), new ParallelOptions { MaxDegreeOfParallelism = lanes },
            async (lane, _) => await SendLaneAsync(batch, lane, results, cancellationToken));
        // An item left out because a newer version replaced it meanwhile gets no result: the outbox settles it.
        return new DeliveryReport([.. results
            .Select((r, i) => r ?? (batch.ShouldSend(items[i]) ? new DeliveryItemResult(items[i].WorkId, DeliveryOutcome.Transient, "not attempted") { MayHaveReached = false } : null))
            .OfType<DeliveryItemResult>()]);
    }

    /// <summary>One lane's messages, a connection per <see cref="EmailChannelOptions.MaxMessagesPerConnection"/>; once a
    /// connection fails or the server closes it (421), the rest of the lane waits for the next attempt.</summary>
    private async Task SendLaneAsync(DeliveryBatch batch, (int Index, long EndpointId)[] lane, DeliveryItemResult?[] results, CancellationToken cancellationToken)
    {
        var perConnection = Math.Max(1, options.Value.MaxMessagesPerConnection);
        for (var start = 0; start < lane.Length; start += perConnection)
        {
            var chunk = lane[start..Math.Min(lane.Length, start + perConnection)];
            if (!await SendChunkAsync(batch, chunk, results, cancellationToken))
            {
                FillTransient(batch.Items, lane, start + chunk.Length, results, "not attempted: the SMTP connection before it failed");
                return;
            }
        }
    }

    /// <summary>Sends a chunk over one connection; false when the connection failed or was closed by the server.</summary>
    private async Task<bool> SendChunkAsync(DeliveryBatch batch, (int Index, long EndpointId)[] chunk, DeliveryItemResult?[] results, CancellationToken cancellationToken)
    {
        var items = batch.Items;
        SmtpClient client;
        try
        {
            client = await transport.ConnectAsync(cancellationToken);
        }
        catch (Exception e) when (IsConnectionFailure(e) || e is AuthenticationException or SmtpCommandException)
        {
            var detail = Describe(e);
            if (e is AuthenticationException or SslHandshakeException)
            {
                _problem = detail;
            }

            LogConnectFailed(logger, options.Value.Host, options.Value.Port, detail);
            FillTransient(items, chunk, 0, results, detail);
            return false;
        }

        try
        {
            for (var n = 0; n < chunk.Length; n++)
            {
                var (index, endpointId) = chunk[n];
                var item = items[index];
                if (!await batch.AdmitAsync(item, cancellationToken))
                {
                    continue;
                }

                try
                {
                    await transport.SendAsync(client, builder.BuildAlert(item, endpointId), cancellationToken);
                    results[index] = batch.Report(new DeliveryItemResult(item.WorkId, DeliveryOutcome.Delivered));
                    _problem = null;
                }
                catch (SmtpCommandException e)
                {
                    results[index] = batch.Report(Classify(item.WorkId, e, options.Value.ThrottleRetryAfter));
                    if (e.ErrorCode == SmtpErrorCode.SenderNotAccepted && (int)e.StatusCode >= 500)
                    {
                        _problem = $"the SMTP server refuses the sender address ({(int)e.StatusCode})";
                    }

                    if (e.StatusCode == SmtpStatusCode.ServiceNotAvailable || !client.IsConnected)
                    {
                        // 421: the server closes the connection; the rest of this chunk waits for the next attempt.
                        FillTransient(items, chunk, n + 1, results, $"SMTP {(int)e.StatusCode}: connection closed by server");
                        return false;
                    }
                }
                catch (NotSupportedException e)
                {
                    // e.g. an address that needs SMTPUTF8 and a server without it: no retry changes that.
                    results[index] = batch.Report(new DeliveryItemResult(item.WorkId, DeliveryOutcome.Rejected, e.Message));
                }
                catch (Exception e) when (IsConnectionFailure(e) || e is OperationCanceledException)
                {
                    var detail = e is OperationCanceledException ? "cancelled (batch timeout)" : Describe(e);
                    LogConnectionLost(logger, detail);
                    FillTransient(items, chunk, n, results, detail);
                    return false;
                }
            }
        }
        finally
        {
            await EmailTransport.CloseAsync(client);
        }

        return true;
    }

    /// <summary>Maps an SMTP reply to an outcome (RFC 5321 reply classes, RFC 3463 enhanced codes).</summary>
    public static DeliveryItemResult Classify(long workId, SmtpCommandException e, TimeSpan throttleRetryAfter)
    {
        var code = (int)e.StatusCode;
        var text = e.Message.Length > 200 ? e.Message[..200] : e.Message;
        var detail = $"SMTP {code} {text}".Trim();
        var policy = text.StartsWith("4.7.", StringComparison.Ordinal);
        if (code == 421 || (code is >= 400 and < 500 && policy))
        {
            return new(workId, DeliveryOutcome.Throttled, detail, throttleRetryAfter);
        }

        if (code is >= 400 and < 500)
        {
            return new(workId, DeliveryOutcome.Transient, detail);
        }

        return e.ErrorCode switch
        {
            SmtpErrorCode.RecipientNotAccepted when code is 550 or 551 or 553 => new(workId, DeliveryOutcome.AddressGone, detail),
            // 552 on RCPT means "too many recipients" in old servers (RFC 5321 §4.5.3.1.10): try again.
            SmtpErrorCode.RecipientNotAccepted when code == 552 => new(workId, DeliveryOutcome.Transient, detail),
            // A refused sender is our configuration, not the resident's fault: keep the work, report the channel unhealthy.
            SmtpErrorCode.SenderNotAccepted => new(workId, DeliveryOutcome.Transient, detail),
            _ => new(workId, DeliveryOutcome.Rejected, detail),
        };
    }

    private static void FillTransient(IReadOnlyList<DeliveryItem> items, (int Index, long EndpointId)[] chunk, int from, DeliveryItemResult?[] results, string detail)
    {
        for (var n = from; n < chunk.Length; n++)
        {
            var index = chunk[n].Index;
            results[index] = new DeliveryItemResult(items[index].WorkId, DeliveryOutcome.Transient, detail);
        }
    }

    private static bool IsConnectionFailure(Exception e) =>
        e is IOException or SocketException or ServiceNotConnectedException or SmtpProtocolException or SslHandshakeException or TimeoutException;

    private static string Describe(Exception e) => e switch
    {
        AuthenticationException => "SMTP authentication failed (check Channels:Email:UserName and Password)",
        SslHandshakeException => "TLS handshake with the SMTP server failed",
        SmtpCommandException c => $"SMTP {(int)c.StatusCode} {c.Message}",
        SocketException s => $"cannot connect to the SMTP server: {s.SocketErrorCode}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "E-mail: cannot open an SMTP session to {Host}:{Port}: {Detail}")]
    private static partial void LogConnectFailed(ILogger logger, string host, int port, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "E-mail: SMTP connection lost mid-batch: {Detail}")]
    private static partial void LogConnectionLost(ILogger logger, string detail);
}
