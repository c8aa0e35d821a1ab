using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using AlertHub.MobileSim.Peers;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;

namespace AlertHub.MobileSim.Clients;

/// <summary>Opens a WebSocket to a hub's <c>/hubs/alerts</c> URL (ws://…); in-process tests pass TestServer's client.</summary>
internal delegate Task<WebSocket> OpenSignalRSocket(Uri url, CancellationToken cancellationToken);

/// <summary>
/// One simulated phone's connection to the residents' hub, speaking the SignalR JSON hub protocol over a WebSocket
/// itself: the handshake, <c>Subscribe</c> as an invocation, <c>alert</c> invocations in, pings both ways, and the
/// server's close message. Ten thousand of these share two cores with the hub in a load run, so each one is an open
/// socket, a receive buffer and a loop, without the per-connection pipes, timers and handler dispatch of the full
/// HubConnection client.
/// </summary>
internal sealed class SignalRResidentSocket : IDisposable
{
    /// <summary>Ends every message of the JSON hub protocol.</summary>
    private const byte RecordSeparator = 0x1e;

    private static readonly byte[] HandshakeRequest = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] PingMessage = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    private readonly SignalRResident _resident;
    private readonly ReceiptLog _log;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private WebSocket? _socket;
    private int _invocations;

    /// <summary>One connection's state: a late end of an earlier, failed attempt must not touch the next one's.</summary>
    private sealed class Attempt(WebSocket socket)
    {
        public WebSocket Socket { get; } = socket;
        public byte[] Buffer { get; set; } = new byte[2048];
        public TaskCompletionSource<string?> Handshake { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<string?> Subscribed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string? SubscribeId { get; set; }
    }

    public SignalRResidentSocket(SignalRResident resident, ReceiptLog log, TimeProvider time)
    {
        _resident = resident;
        _log = log;
        _time = time;
    }

    public SignalRResident Resident => _resident;

    /// <summary>The node (index into the pool's hubs) this client is connected or connecting to.</summary>
    public int Node { get; private set; }

    /// <summary>
    /// Connects to <paramref name="hub"/>, completes the handshake and subscribes; the returned task ends once the hub
    /// answered <c>Subscribe</c>. <see cref="Closed"/> then ends when the connection does.
    /// </summary>
    public async Task ConnectAsync(Uri hub, int node, OpenSignalRSocket open, CancellationToken cancellationToken)
    {
        Node = node;
        var socket = await open(new Uri(hub, "hubs/alerts"), cancellationToken);
        _socket?.Dispose(); // the connection before, already ended
        _socket = socket;
        var attempt = new Attempt(socket);
        Closed = Task.Run(() => ReceiveLoopAsync(attempt), CancellationToken.None);
        try
        {
            await SendAsync(HandshakeRequest, cancellationToken);
            if (await attempt.Handshake.Task.WaitAsync(cancellationToken) is { } refused)
            {
                throw new InvalidOperationException($"handshake refused: {refused}");
            }

            // Set before sending: the answer may arrive before SendAsync returns.
            attempt.SubscribeId = Interlocked.Increment(ref _invocations).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await SendAsync(SubscribeMessage(attempt.SubscribeId), cancellationToken);
            if (await attempt.Subscribed.Task.WaitAsync(cancellationToken) is { } error)
            {
                throw new InvalidOperationException(error);
            }
        }
        catch
        {
            socket.Abort();
            throw;
        }
    }

    /// <summary>Ends when the current connection has ended (closed by either side, or broken).</summary>
    public Task Closed { get; private set; } = Task.CompletedTask;

    public bool IsOpen => _socket?.State == WebSocketState.Open;

    /// <summary>A keep-alive: the hub drops a client it has heard nothing from for its ClientTimeoutInterval (30 s by default).</summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        if (IsOpen)
        {
            try
            {
                await SendAsync(PingMessage, cancellationToken);
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The receive loop sees the broken connection and reconnects.
            }
        }
    }

    /// <summary>Closes the connection (the hub sees a normal close) and waits for the receive loop to end.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (_socket is not { } socket)
        {
            return;
        }

        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
            }

            await Closed.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            socket.Abort();
        }
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _sending.Dispose();
    }

    private byte[] SubscribeMessage(string invocation)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("type", 1);
            json.WriteString("invocationId", invocation);
            json.WriteString("target", "Subscribe");
            json.WriteStartArray("arguments");
            json.WriteStringValue(_resident.ResidentId);
            json.WriteStringValue(_resident.Token);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        stream.WriteByte(RecordSeparator);
        return stream.ToArray();
    }

    private async Task SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        // A WebSocket takes one send at a time: a ping may meet the Subscribe.
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket!.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Reads messages until the connection ends; a WebSocket message may hold several records, or part of one.</summary>
    private async Task ReceiveLoopAsync(Attempt attempt)
    {
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == attempt.Buffer.Length)
                {
                    var larger = new byte[attempt.Buffer.Length * 2];
                    attempt.Buffer.AsSpan(0, filled).CopyTo(larger);
                    attempt.Buffer = larger;
                }

                var buffer = attempt.Buffer;
                var received = await attempt.Socket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                // The moment the phone had the bytes, before it reads them.
                var arrived = _time.GetTimestamp();
                filled += received.Count;
                var start = 0;
                int end;
                while ((end = Array.IndexOf(buffer, RecordSeparator, start, filled - start)) >= 0)
                {
                    if (!OnRecord(attempt, buffer.AsSpan(start, end - start), arrived))
                    {
                        return;
                    }

                    start = end + 1;
                }

                filled -= start;
                Buffer.BlockCopy(buffer, start, buffer, 0, filled);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            attempt.Handshake.TrySetResult("connection closed");
            attempt.Subscribed.TrySetResult("connection closed before Subscribe was answered");
        }
    }

    private static bool IsString(JsonElement obj, string property, string value) =>
        obj.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.String && p.ValueEquals(value);

    /// <summary>Handles one hub-protocol message; false when the hub closed the connection.</summary>
    private bool OnRecord(Attempt attempt, ReadOnlySpan<byte> record, long arrived)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(record);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            _log.MalformedPayload();
            return true;
        }

        using (document)
        {
            var root = document.RootElement;
            if (attempt.Handshake is { Task.IsCompleted: false } handshake)
            {
                // The first record answers the handshake: {} or {"error": "…"}.
                handshake.TrySetResult(root.ValueKind != JsonValueKind.Object ? "not a handshake answer"
                    : root.TryGetProperty("error", out var refused) ? refused.ToString() : null);
                return true;
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                _log.MalformedPayload();
                return true;
            }

            // JsonElement's typed reads throw on another kind of value: each is checked first, so a record of an
            // unexpected shape is counted, not the end of the connection.
            var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var n) ? n : 0;
            switch (type)
            {
                case 1 when IsString(root, "target", "alert"):
                    if (root.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.Array && args.GetArrayLength() > 0
                        && AlertPayload.TryReadAlert(args[0], out var alertId, out var version)
                        && (!args[0].TryGetProperty("idempotencyKey", out var key) || key.ValueKind is JsonValueKind.String or JsonValueKind.Null))
                    {
                        _log.Add(new Receipt(_resident.ExternalId, SimChannels.SignalR, alertId, version, arrived,
                            key.ValueKind == JsonValueKind.String ? key.GetString() : null));
                    }
                    else
                    {
                        _log.MalformedPayload();
                    }

                    return true;
                case 3 when attempt.SubscribeId is { } subscribeId && IsString(root, "invocationId", subscribeId):
                    attempt.Subscribed.TrySetResult(root.TryGetProperty("error", out var error) ? error.ToString() : null);
                    return true;
                case 1 or 3 or 6:
                    return true; // other events (shelter status), other answers, pings
                case 7:
                    return false; // the hub closes the connection
                default:
                    _log.MalformedPayload();
                    return true;
            }
        }
    }
}
