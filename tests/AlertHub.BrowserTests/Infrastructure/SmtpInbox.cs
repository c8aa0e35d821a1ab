using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace AlertHub.BrowserTests.Infrastructure;

/// <summary>
/// The city's mail relay for the resident page's e-mail tests: a small SMTP server on 127.0.0.1 (EHLO, MAIL, RCPT, DATA with
/// dot-unstuffing, RSET, NOOP, QUIT) that keeps every message it accepts, so a test can read the confirmation mail the
/// hub sends and open its link as the resident would.
/// </summary>
public sealed class SmtpInbox : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<MimeMessage> _messages = [];
    private Task? _accepting;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static SmtpInbox Start()
    {
        var inbox = new SmtpInbox();
        inbox._listener.Start();
        inbox._accepting = inbox.AcceptAsync();
        return inbox;
    }

    /// <summary>The hub settings that send its mail here.</summary>
    public Dictionary<string, string?> HubSettings() => new()
    {
        ["Channels:Email:Enabled"] = "true",
        ["Channels:Email:Host"] = "127.0.0.1",
        ["Channels:Email:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Channels:Email:Security"] = "None",
        ["Channels:Email:FromAddress"] = "anzen@city.yokote.test",
    };

    public async Task<MimeMessage> WaitForAsync(Func<MimeMessage, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_messages)
            {
                if (_messages.FirstOrDefault(match) is { } found)
                {
                    return found;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("no matching mail arrived");
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.Latin1, false, 4096, leaveOpen: true);
            await using var writer = new StreamWriter(stream, Encoding.Latin1, 4096, leaveOpen: true) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 smtp.city.yokote.test ESMTP");
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-smtp.city.yokote.test");
                        await writer.WriteLineAsync("250-8BITMIME");
                        await writer.WriteLineAsync("250 SMTPUTF8");
                        break;
                    case "HELO" or "MAIL" or "RCPT" or "RSET" or "NOOP":
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine.StartsWith('.') ? dataLine[1..] : dataLine).Append("\r\n");
                        }

                        var message = MimeMessage.Load(new MemoryStream(Encoding.Latin1.GetBytes(data.ToString())));
                        lock (_messages)
                        {
                            _messages.Add(message);
                        }

                        await writer.WriteLineAsync("250 OK queued");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 Command not implemented");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting;
        }

        _stop.Dispose();
    }
}
