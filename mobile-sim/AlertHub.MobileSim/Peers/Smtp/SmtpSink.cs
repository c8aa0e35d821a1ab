using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AlertHub.MobileSim.Report;
using MimeKit;

namespace AlertHub.MobileSim.Peers.Smtp;

/// <summary>Options of <see cref="SmtpSink"/>.</summary>
internal sealed class SmtpSinkOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one (tests). Load runs use <see cref="SmtpSink.DefaultLoadPort"/>.</summary>
    public int Port { get; set; }

    /// <summary>Domain of the simulated residents' addresses and the server's EHLO name.</summary>
    public string Domain { get; set; } = "sim.alerthub.test";

    /// <summary>Answer 550 5.1.1 for RCPT addresses that <see cref="SmtpSink.EndpointFor"/> never handed out.</summary>
    public bool RejectUnknownMailboxes { get; set; }

    /// <summary>Keep every accepted message (raw bytes) for tests; load runs turn it off to keep memory flat.</summary>
    public bool StoreMessages { get; set; } = true;

    /// <summary>SIZE advertised and enforced. Default 10 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Recipients accepted per transaction before 452. Default 1000.</summary>
    public int MaxRecipients { get; set; } = 1000;
}

/// <summary>One accepted message: the envelope, the raw data (dot-unstuffed) and what the hub put in its headers.</summary>
internal sealed record SmtpSinkMessage(
    string MailFrom, IReadOnlyList<string> Recipients, byte[] Raw, long Timestamp, string? DeliveryId, string? AlertId, int? Version, string? Purpose)
{
    public MimeMessage Parse() => MimeMessage.Load(new MemoryStream(Raw));
}

/// <summary>
/// A small faithful SMTP server (RFC 5321) on 127.0.0.1 standing in for the city's mail relay: EHLO with
/// PIPELINING, 8BITMIME, SMTPUTF8 and SIZE; MAIL, RCPT, DATA (dot-unstuffing), RSET, NOOP, QUIT. Replies can be
/// scripted per mailbox (550 unknown user, 451 a given number of times) and for everyone for a while (421/451).
/// Every accepted message is parsed with MimeKit and logged as one <see cref="Receipt"/> per recipient.
/// </summary>
internal sealed class SmtpSink : IProviderPeer
{
    public const string ChannelName = "email";
    public const int DefaultLoadPort = 2525;
    private const int MaxLineBytes = 4096;

    private readonly ReceiptLog _log;
    private readonly TimeProvider _time;
    private readonly SmtpSinkOptions _options;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, string> _residents = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (int Code, string Text)> _permanent = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (int Code, int Remaining)> _temporary = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<SmtpSinkMessage> _messages = new();
    private readonly ConcurrentDictionary<Task, bool> _sessions = new();
    private Task? _acceptLoop;
    private (int Code, long UntilTimestamp)? _globalFailure;
    private int _messageCount;
    private int _rcptRejections;
    private int _connections;

    public SmtpSink(ReceiptLog log, TimeProvider time, SmtpSinkOptions? options = null)
    {
        _log = log;
        _time = time;
        _options = options ?? new SmtpSinkOptions();
        _listener = new TcpListener(IPAddress.Loopback, _options.Port);
    }

    public string Channel => ChannelName;

    public int Port { get; private set; }

    /// <summary>Points the hub at this sink; opt-in is off because simulated residents cannot click links.</summary>
    public IReadOnlyDictionary<string, string?> HubSettings => new Dictionary<string, string?>
    {
        ["Channels:Email:Enabled"] = "true",
        ["Channels:Email:Host"] = "127.0.0.1",
        ["Channels:Email:Port"] = Port.ToString(CultureInfo.InvariantCulture),
        ["Channels:Email:Security"] = "None",
        ["Channels:Email:FromAddress"] = "anzen@city.yokote.test",
        ["Channels:Email:RequireConfirmation"] = "false",
    };

    public IReadOnlyCollection<SmtpSinkMessage> Messages => _messages;

    public int MessageCount => Volatile.Read(ref _messageCount);

    /// <summary>RCPT commands answered with a 4xx/5xx.</summary>
    public int RecipientRejections => Volatile.Read(ref _rcptRejections);

    /// <summary>SMTP sessions opened so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static string AddressFor(string externalId, string domain) => $"{externalId}@{domain}".ToLowerInvariant();

    public SimEndpoint EndpointFor(string externalId)
    {
        var address = AddressFor(externalId, _options.Domain);
        _residents[address] = externalId;
        return new SimEndpoint(ChannelName, address);
    }

    /// <summary>RCPT for this address answers <paramref name="code"/> (550 by default: no such user) from now on.</summary>
    public void RejectMailbox(string address, int code = 550, string text = "5.1.1 No such user here") => _permanent[address] = (code, text);

    /// <summary>RCPT for this address answers <paramref name="code"/> (451 by default) the next <paramref name="times"/> times.</summary>
    public void FailMailbox(string address, int times, int code = 451) => _temporary[address] = (code, times);

    /// <summary>Every RCPT answers <paramref name="code"/> for <paramref name="duration"/> (421 also closes the connection).</summary>
    public void FailAll(int code, TimeSpan duration) =>
        _globalFailure = (code, _time.GetTimestamp() + (long)(duration.TotalSeconds * _time.TimestampFrequency));

    /// <summary>Ends a <see cref="FailAll"/> early (tests stop the outage when they choose, not by the clock).</summary>
    public void EndGlobalFailure() => _globalFailure = null;

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task WaitForAsync(Func<SmtpSink, bool> condition, TimeSpan timeout)
    {
        var deadline = _time.GetUtcNow() + timeout;
        while (!condition(this))
        {
            if (_time.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"SMTP sink: condition not met within {timeout} ({MessageCount} messages)");
            }

            await Task.Delay(20);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }

            Interlocked.Increment(ref _connections);
            socket.NoDelay = true;
            var session = Task.Run(() => SessionAsync(socket), CancellationToken.None);
            _sessions[session] = true;
            _ = session.ContinueWith(t => _sessions.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task SessionAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024));
        var output = new StringBuilder();
        var state = new Transaction();
        try
        {
            await WriteAsync(stream, $"220 {_options.Domain} ESMTP AlertHub sim sink\r\n");
            while (!_stop.IsCancellationRequested)
            {
                var line = await ReadLineAsync(reader, _stop.Token);
                if (line is null)
                {
                    return;
                }

                output.Clear();
                var quit = await HandleAsync(line, state, reader, output, stream);
                if (output.Length > 0)
                {
                    await WriteAsync(stream, output.ToString());
                }

                if (quit)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
        {
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private async Task<bool> HandleAsync(string line, Transaction t, PipeReader reader, StringBuilder reply, Stream stream)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var arg = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (verb)
        {
            case "EHLO":
                t.Greeted = true;
                t.Reset();
                reply.Append(CultureInfo.InvariantCulture, $"250-{_options.Domain} greets {arg}\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n")
                    .Append(CultureInfo.InvariantCulture, $"250 SIZE {_options.MaxMessageBytes}\r\n");
                return false;
            case "HELO":
                t.Greeted = true;
                t.Reset();
                reply.Append(CultureInfo.InvariantCulture, $"250 {_options.Domain}\r\n");
                return false;
            case "MAIL":
                if (!t.Greeted)
                {
                    reply.Append("503 5.5.1 Send EHLO first\r\n");
                }
                else if (t.MailFrom is not null)
                {
                    reply.Append("503 5.5.1 Nested MAIL command\r\n");
                }
                else if (!TryPath(arg, "FROM:", out var from, out var parameters))
                {
                    reply.Append("501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
                }
                else if (SizeParameter(parameters) > _options.MaxMessageBytes)
                {
                    reply.Append("552 5.3.4 Message size exceeds fixed limit\r\n");
                }
                else
                {
                    t.MailFrom = from;
                    reply.Append("250 2.1.0 Sender OK\r\n");
                }

                return false;
            case "RCPT":
                if (t.MailFrom is null)
                {
                    reply.Append("503 5.5.1 Need MAIL before RCPT\r\n");
                    return false;
                }

                if (!TryPath(arg, "TO:", out var to, out _) || to.Length == 0)
                {
                    reply.Append("501 5.5.4 Syntax: RCPT TO:<address>\r\n");
                    return false;
                }

                return Recipient(to, t, reply);
            case "DATA":
                if (t.MailFrom is null || t.Recipients.Count == 0)
                {
                    reply.Append(t.MailFrom is null ? "503 5.5.1 Need MAIL command\r\n" : "554 5.5.1 No valid recipients\r\n");
                    return false;
                }

                // Flush pipelined replies first: the client waits for 354 before sending data.
                await WriteAsync(stream, reply.Append("354 End data with <CR><LF>.<CR><LF>\r\n").ToString());
                reply.Clear();
                var raw = await ReadDataAsync(reader);
                if (raw is null)
                {
                    reply.Append("552 5.3.4 Message size exceeds fixed limit\r\n");
                }
                else
                {
                    var id = Accept(t, raw);
                    reply.Append(CultureInfo.InvariantCulture, $"250 2.0.0 OK queued as {id}\r\n");
                }

                t.Reset();
                return false;
            case "RSET":
                t.Reset();
                reply.Append("250 2.0.0 OK\r\n");
                return false;
            case "NOOP":
                reply.Append("250 2.0.0 OK\r\n");
                return false;
            case "VRFY":
                reply.Append("252 2.1.5 Cannot VRFY user\r\n");
                return false;
            case "QUIT":
                reply.Append(CultureInfo.InvariantCulture, $"221 2.0.0 {_options.Domain} closing connection\r\n");
                return true;
            case "STARTTLS" or "AUTH":
                reply.Append("502 5.5.1 Not offered\r\n");
                return false;
            default:
                reply.Append("500 5.5.2 Command unrecognized\r\n");
                return false;
        }
    }

    private bool Recipient(string to, Transaction t, StringBuilder reply)
    {
        if (_globalFailure is { } g && _time.GetTimestamp() < g.UntilTimestamp)
        {
            Interlocked.Increment(ref _rcptRejections);
            reply.Append(CultureInfo.InvariantCulture, $"{g.Code} 4.7.0 Try again later\r\n");
            if (g.Code == 421)
            {
                return true;
            }

            return false;
        }

        if (_permanent.TryGetValue(to, out var permanent))
        {
            Interlocked.Increment(ref _rcptRejections);
            reply.Append(CultureInfo.InvariantCulture, $"{permanent.Code} {permanent.Text}\r\n");
            return false;
        }

        if (_temporary.TryGetValue(to, out var temporary) && temporary.Remaining > 0
            && _temporary.TryUpdate(to, (temporary.Code, temporary.Remaining - 1), temporary))
        {
            Interlocked.Increment(ref _rcptRejections);
            reply.Append(CultureInfo.InvariantCulture, $"{temporary.Code} 4.3.0 Mailbox temporarily unavailable\r\n");
            return false;
        }

        if (_options.RejectUnknownMailboxes && !_residents.ContainsKey(to))
        {
            Interlocked.Increment(ref _rcptRejections);
            reply.Append("550 5.1.1 No such user here\r\n");
            return false;
        }

        if (t.Recipients.Count >= _options.MaxRecipients)
        {
            reply.Append("452 4.5.3 Too many recipients\r\n");
            return false;
        }

        t.Recipients.Add(to);
        reply.Append("250 2.1.5 Recipient OK\r\n");
        return false;
    }

    private int Accept(Transaction t, byte[] raw)
    {
        var arrived = _time.GetTimestamp();
        string? deliveryId = null, alertId = null, purpose = null;
        int? version = null;
        try
        {
            var headers = HeaderList.Load(new MemoryStream(raw));
            deliveryId = headers["X-AlertHub-Delivery-Id"];
            alertId = headers["X-AlertHub-Alert-Id"];
            purpose = headers["X-AlertHub-Purpose"];
            version = int.TryParse(headers["X-AlertHub-Alert-Version"], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        }
        catch (FormatException)
        {
        }

        if (_options.StoreMessages)
        {
            _messages.Enqueue(new SmtpSinkMessage(t.MailFrom!, [.. t.Recipients], raw, arrived, deliveryId, alertId, version, purpose));
        }

        // Counted only once stored: a waiter that sees the count must find the message.
        var id = Interlocked.Increment(ref _messageCount);

        if (purpose == "confirmation")
        {
            return id; // a double opt-in mail, not an alert
        }

        foreach (var rcpt in t.Recipients)
        {
            if (alertId is null || version is null)
            {
                _log.MalformedPayload();
            }
            else if (_residents.TryGetValue(rcpt, out var externalId))
            {
                _log.Add(new Receipt(externalId, ChannelName, alertId, version.Value, arrived, deliveryId));
            }
            else
            {
                _log.UnknownResidentHit();
            }
        }

        return id;
    }

    private async Task<byte[]?> ReadDataAsync(PipeReader reader)
    {
        using var data = new MemoryStream();
        var tooBig = false;
        while (true)
        {
            var result = await reader.ReadAsync(_stop.Token);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var done = false;
            var seq = new SequenceReader<byte>(buffer);
            while (seq.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
            {
                consumed = seq.Position;
                if (line.Length == 1 && line.FirstSpan[0] == (byte)'.')
                {
                    done = true;
                    break;
                }

                if (tooBig)
                {
                    continue;
                }

                // RFC 5321 §4.5.2: a leading dot was doubled by the client.
                var content = line.Length > 0 && line.FirstSpan[0] == (byte)'.' ? line.Slice(1) : line;
                foreach (var segment in content)
                {
                    data.Write(segment.Span);
                }

                data.Write("\r\n"u8);
                tooBig = data.Length > _options.MaxMessageBytes;
                if (tooBig)
                {
                    data.SetLength(0);
                }
            }

            reader.AdvanceTo(consumed, buffer.End);
            if (done)
            {
                return tooBig ? null : data.ToArray();
            }

            if (result.IsCompleted)
            {
                throw new IOException("connection closed during DATA");
            }
        }
    }

    private static async Task<string?> ReadLineAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var seq = new SequenceReader<byte>(buffer);
            if (seq.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
            {
                var text = Encoding.UTF8.GetString(line);
                reader.AdvanceTo(seq.Position);
                return text;
            }

            if (buffer.Length > MaxLineBytes)
            {
                throw new InvalidDataException("command line too long");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Parses <c>FROM:&lt;a@b&gt; PARAM=x</c>; the null sender <c>&lt;&gt;</c> is allowed.</summary>
    private static bool TryPath(string arg, string prefix, out string address, out string parameters)
    {
        address = "";
        parameters = "";
        if (!arg.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = arg[prefix.Length..].TrimStart();
        var close = rest.IndexOf('>', StringComparison.Ordinal);
        if (!rest.StartsWith('<') || close < 0)
        {
            return false;
        }

        address = rest[1..close];
        parameters = rest[(close + 1)..].Trim();
        return true;
    }

    private static long SizeParameter(string parameters)
    {
        foreach (var p in parameters.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p.StartsWith("SIZE=", StringComparison.OrdinalIgnoreCase) && long.TryParse(p.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                return size;
            }
        }

        return 0;
    }

    private static Task WriteAsync(Stream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        await Task.WhenAll(_sessions.Keys).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private sealed class Transaction
    {
        public bool Greeted { get; set; }

        public string? MailFrom { get; set; }

        public List<string> Recipients { get; } = [];

        public void Reset()
        {
            MailFrom = null;
            Recipients.Clear();
        }
    }
}
