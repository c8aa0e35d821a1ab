using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using MimeKit;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

/// <summary>
/// The SMTP wire side (MailKit): opens one connection, upgrades it as configured, authenticates when a user is
/// set. Callers send many messages over it (MailKit pipelines MAIL/RCPT/DATA when the server offers PIPELINING)
/// and dispose it. Host and port are configuration, so tests point it at a loopback server.
/// </summary>
internal sealed class EmailTransport(IOptions<EmailChannelOptions> options)
{
    public MailboxAddress Sender => new("", options.Value.BounceAddress ?? options.Value.FromAddress);

    public async Task<SmtpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var client = new SmtpClient { Timeout = (int)Math.Clamp(o.CommandTimeout.TotalMilliseconds, 1_000, int.MaxValue) };
        try
        {
            await client.ConnectAsync(o.Host, o.Port, o.Security, cancellationToken);
            if (!string.IsNullOrEmpty(o.UserName))
            {
                await client.AuthenticateAsync(o.UserName, o.Password ?? "", cancellationToken);
            }

            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public Task SendAsync(SmtpClient client, MimeMessage message, CancellationToken cancellationToken) =>
        client.SendAsync(message, Sender, message.To.Mailboxes, cancellationToken);

    /// <summary>Ends the session politely (QUIT) within a short time; the connection is gone either way.</summary>
    public static async Task CloseAsync(SmtpClient client)
    {
        try
        {
            if (client.IsConnected)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.DisconnectAsync(quit: true, cts.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or MailKit.ProtocolException or System.Net.Sockets.SocketException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }
}
