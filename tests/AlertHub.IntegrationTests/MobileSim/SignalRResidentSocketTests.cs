using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.MobileSim.Clients;
using AlertHub.MobileSim.Report;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlertHub.IntegrationTests.MobileSim;

/// <summary>
/// mobile-sim's own SignalR resident client: against the real hub (handshake, Subscribe, an alert), and against a
/// scripted hub on 127.0.0.1 that sends what the JSON hub protocol allows but the real hub rarely does on loopback
/// (a record split over two WebSocket messages, several records in one, pings, a close message, a refused handshake).
/// </summary>
public sealed class SignalRResidentSocketTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private const char Rs = '\u001e';

    [Fact]
    public async Task AgainstTheHub_ASubscribedResidentRecordsTheAlert_AndAWrongTokenIsRefused()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var anonymous = hub.CreateClient();
        var resident = await Api.RegisterAsync(anonymous, 39.3114, 140.5535);
        var log = new ReceiptLog();
        await using var pool = new SignalRResidentPool(log, TimeProvider.System, NullLogger.Instance);

        await pool.ConnectAllAsync([hub.Server.BaseAddress],
            [new SignalRResident("ext-1", resident.Id.ToString(), resident.Token), new SignalRResident("ext-2", resident.Id.ToString(), "not-the-token")],
            parallelism: 2, Patience, (url, ct) => hub.Server.CreateWebSocketClient().ConnectAsync(url, ct), connecting: null, CancellationToken.None);

        Assert.Equal(1, pool.Connected);
        Assert.Equal(1, pool.Failed);
        using var admin = hub.Admin();
        var alertId = (await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 1000 } } })))["id"]!
            .GetValue<string>();
        await WaitUntilAsync(() => log.Count >= 1);

        var receipt = Assert.Single(log.Snapshot());
        Assert.Equal(("ext-1", "signalr", alertId, 1, $"{alertId}:1:signalr"),
            (receipt.ExternalId, receipt.Channel, receipt.AlertId, receipt.Version, receipt.DeliveryId));
        Assert.Equal(0, log.Malformed);
    }

    [Fact]
    public async Task RecordsSplitOverMessages_AndSeveralInOne_PingsAndOtherEvents_AreReadAsTheProtocolSays()
    {
        var subscribed = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var peer = await ScriptedHub.StartAsync(async (socket, _) =>
        {
            await ExpectHandshakeAsync(socket, answer: "{}");
            var subscribe = await ReadRecordAsync(socket);
            var invocation = subscribe.RootElement.GetProperty("invocationId").GetString();
            subscribed.TrySetResult([.. subscribe.RootElement.GetProperty("arguments").EnumerateArray().Select(a => a.GetString()!)]);
            // The answer and the first alert in one message.
            await SendAsync(socket, $$"""{"type":3,"invocationId":"{{invocation}}","result":true}{{Rs}}{{Alert("a1", 1)}}{{Rs}}""");
            // One alert over two messages, split inside a string.
            var second = Alert("a2", 1) + Rs;
            await SendAsync(socket, second[..25]);
            await SendAsync(socket, second[25..]);
            // A ping, another event, an alert of another shape, and two alerts, all in one message.
            await SendAsync(socket, $$"""{"type":6}{{Rs}}{"type":1,"target":"shelterStatus","arguments":[{}]}{{Rs}}{"type":1,"target":"alert","arguments":[{"nope":1}]}{{Rs}}{{Alert("a3", 2)}}{{Rs}}{{Alert("a4", 1)}}{{Rs}}""");
            // The hub's close message ends the connection.
            await SendAsync(socket, $$"""{"type":7,"error":"Server is shutting down.","allowReconnect":false}{{Rs}}""");
            await DrainAsync(socket);
        });
        var log = new ReceiptLog();
        using var client = new SignalRResidentSocket(new SignalRResident("ext-9", "3f1c0c0e-0000-4000-8000-000000000001", "token-9"), log, TimeProvider.System);

        using var timeout = new CancellationTokenSource(Patience);
        await client.ConnectAsync(peer.BaseAddress, 0, OpenLoopbackSocketAsync, timeout.Token);
        await client.Closed.WaitAsync(Patience);

        Assert.Equal(["3f1c0c0e-0000-4000-8000-000000000001", "token-9"], await subscribed.Task);
        Assert.Equal([("a1", 1), ("a2", 1), ("a3", 2), ("a4", 1)], log.Snapshot().Select(r => (r.AlertId, r.Version)));
        Assert.All(log.Snapshot(), r => Assert.Equal($"{r.AlertId}:{r.Version}:signalr", r.DeliveryId));
        Assert.Equal(1, log.Malformed);
    }

    [Fact]
    public async Task RecordsOfAnUnexpectedShape_AreCountedMalformed_AndTheConnectionKeepsReading()
    {
        await using var peer = await ScriptedHub.StartAsync(async (socket, _) =>
        {
            await AnswerSubscribeAsync(socket);
            // Valid JSON, wrong shapes: not an object, a type that is not a number, an idempotency key that is not a string.
            await SendAsync(socket, $$"""[1]{{Rs}}"text"{{Rs}}{"type":"1","target":"alert"}{{Rs}}{"type":1,"target":"alert","arguments":[{"alertId":"a","version":1,"idempotencyKey":5}]}{{Rs}}""");
            await SendAsync(socket, Alert("after", 1) + Rs);
            await DrainAsync(socket);
        });
        var log = new ReceiptLog();
        using var client = new SignalRResidentSocket(new SignalRResident("ext-1", "id-1", "token-1"), log, TimeProvider.System);
        using var timeout = new CancellationTokenSource(Patience);

        await client.ConnectAsync(peer.BaseAddress, 0, OpenLoopbackSocketAsync, timeout.Token);
        await WaitUntilAsync(() => log.Count >= 1, () => $"malformed {log.Malformed}, closed {client.Closed.IsCompleted}");

        Assert.Equal("after", Assert.Single(log.Snapshot()).AlertId);
        Assert.Equal(4, log.Malformed);
        Assert.False(client.Closed.IsCompleted);
        await client.CloseAsync(timeout.Token);
    }

    [Fact]
    public async Task AConnectionThatDrops_IsOpenedAgain_AndSubscribesAgain()
    {
        var connections = 0;
        var firstConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var peer = await ScriptedHub.StartAsync(async (socket, n) =>
        {
            Interlocked.Increment(ref connections);
            await AnswerSubscribeAsync(socket);
            if (n == 0)
            {
                await firstConnected.Task.WaitAsync(Patience);
                socket.Abort(); // the first connection breaks without a close
                return;
            }

            await SendAsync(socket, Alert("after-reconnect", 1) + Rs);
            await DrainAsync(socket);
        });
        var log = new ReceiptLog();
        await using var pool = new SignalRResidentPool(log, TimeProvider.System, NullLogger.Instance);

        await pool.ConnectAllAsync([peer.BaseAddress], [new SignalRResident("ext-1", "id-1", "token-1")], 1, Patience, OpenLoopbackSocketAsync, null,
            CancellationToken.None);
        firstConnected.SetResult();
        await WaitUntilAsync(() => log.Count >= 1, () => $"connections {Volatile.Read(ref connections)}, connected {pool.Connected}");

        Assert.Equal(2, Volatile.Read(ref connections));
        Assert.Equal(1, pool.Connected);
        Assert.Equal("after-reconnect", Assert.Single(log.Snapshot()).AlertId);
    }

    /// <summary>
    /// As the resident page does: once subscribed again, the client reads its inbox on the node it is connected to now,
    /// with its token. What the inbox lists is logged apart from the pushes; the first connect reads nothing.
    /// </summary>
    [Fact]
    public async Task AfterReconnecting_TheClientReadsItsInbox_OnTheNodeItIsOnNow_KeptApartFromPushes()
    {
        var firstConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var dying = await ScriptedHub.StartAsync(async (socket, n) =>
        {
            await AnswerSubscribeAsync(socket);
            await firstConnected.Task.WaitAsync(Patience);
            socket.Abort();
        }, refuse: n => n > 0, inbox: _ => throw new InvalidOperationException("the dead node's inbox was read"));
        var inboxRequests = new List<string>();
        await using var surviving = await ScriptedHub.StartAsync(async (socket, _) =>
        {
            await AnswerSubscribeAsync(socket);
            await DrainAsync(socket);
        }, inbox: async context =>
        {
            lock (inboxRequests)
            {
                inboxRequests.Add($"{context.Request.Path} {context.Request.Headers.Authorization}");
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""
                [{"alertId":"missed-on-the-dead-node","version":2,"state":"issued","title":"避難指示"},{"alertId":42},"not an item"]
                """);
        });
        var log = new ReceiptLog();
        await using var pool = new SignalRResidentPool(log, TimeProvider.System, NullLogger.Instance);

        await pool.ConnectAllAsync([dying.BaseAddress, surviving.BaseAddress], [new SignalRResident("ext-1", "id-1", "token-1")], 1, Patience,
            OpenLoopbackSocketAsync, null, CancellationToken.None);
        Assert.Empty(log.InboxSnapshot());
        firstConnected.SetResult();
        await WaitUntilAsync(() => log.InboxSnapshot().Count >= 1, () => $"failed over {pool.FailedOver}, inbox reads failed {log.InboxReadsFailed}");

        var read = Assert.Single(log.InboxSnapshot());
        Assert.Equal(("ext-1", "signalr", "missed-on-the-dead-node", 2), (read.ExternalId, read.Channel, read.AlertId, read.Version));
        Assert.Equal(["/api/residents/id-1/inbox Bearer token-1"], inboxRequests);
        Assert.Empty(log.Snapshot());
        Assert.Equal(2, log.Malformed);
        Assert.Equal(0, log.InboxReadsFailed);
    }

    /// <summary>The real hub's inbox, read by a client whose connection broke after the alert was pushed to it.</summary>
    [Fact]
    public async Task AgainstTheHub_AClientWhoseConnectionBreaks_FindsThePushedAlertInItsInbox()
    {
        using var hub = new HubFactory();
        await hub.WaitReadyAsync();
        using var anonymous = hub.CreateClient();
        var resident = await Api.RegisterAsync(anonymous, 39.3114, 140.5535);
        var log = new ReceiptLog();
        var sockets = new List<WebSocket>();
        await using var pool = new SignalRResidentPool(log, TimeProvider.System, NullLogger.Instance, hub.Server.CreateHandler());
        await pool.ConnectAllAsync([hub.Server.BaseAddress], [new SignalRResident("ext-1", resident.Id.ToString(), resident.Token)], 1, Patience,
            async (url, ct) =>
            {
                var socket = await hub.Server.CreateWebSocketClient().ConnectAsync(url, ct);
                lock (sockets)
                {
                    sockets.Add(socket);
                }

                return socket;
            }, connecting: null, CancellationToken.None);
        using var admin = hub.Admin();
        var alertId = (await Api.IssueAsync(admin, Api.ExerciseAlert(new { circles = new[] { new { lat = 39.3114, lon = 140.5535, radiusMeters = 1000 } } })))["id"]!
            .GetValue<string>();
        await WaitUntilAsync(() => log.Count >= 1);

        lock (sockets)
        {
            sockets[0].Abort();
        }

        await WaitUntilAsync(() => log.InboxSnapshot().Count >= 1, () => $"inbox reads failed {log.InboxReadsFailed}");
        var read = Assert.Single(log.InboxSnapshot());
        Assert.Equal(("ext-1", alertId, 1), (read.ExternalId, read.AlertId, read.Version));
        Assert.Equal(0, log.Malformed);
    }

    [Fact]
    public async Task InACluster_AClientWhoseNodeStopsAnswering_MovesToTheNextNode()
    {
        var firstConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var dying = await ScriptedHub.StartAsync(async (socket, n) =>
        {
            await AnswerSubscribeAsync(socket);
            await firstConnected.Task.WaitAsync(Patience);
            socket.Abort();
        }, refuse: n => n > 0); // the node is gone: every later connect fails
        var subscribedOnSecond = 0;
        await using var surviving = await ScriptedHub.StartAsync(async (socket, _) =>
        {
            await AnswerSubscribeAsync(socket);
            Interlocked.Increment(ref subscribedOnSecond);
            await SendAsync(socket, Alert("from-node-2", 1) + Rs);
            await DrainAsync(socket);
        });
        var log = new ReceiptLog();
        await using var pool = new SignalRResidentPool(log, TimeProvider.System, NullLogger.Instance);

        await pool.ConnectAllAsync([dying.BaseAddress, surviving.BaseAddress], [new SignalRResident("ext-1", "id-1", "token-1")], 1, Patience,
            OpenLoopbackSocketAsync, null, CancellationToken.None);
        Assert.Equal(0, Volatile.Read(ref subscribedOnSecond));
        firstConnected.SetResult();
        await WaitUntilAsync(() => log.Count >= 1, () => $"failed over {pool.FailedOver}");

        Assert.Equal(1, pool.FailedOver);
        Assert.Equal(1, Volatile.Read(ref subscribedOnSecond));
        Assert.Equal("from-node-2", Assert.Single(log.Snapshot()).AlertId);
    }

    [Fact]
    public async Task ARefusedHandshake_OrAnErrorForSubscribe_FailsTheConnect()
    {
        await using var peer = await ScriptedHub.StartAsync(async (socket, n) =>
        {
            if (n == 0)
            {
                await ExpectHandshakeAsync(socket, answer: """{"error":"Requested protocol 'json' is not available."}""");
                await DrainAsync(socket);
                return;
            }

            await ExpectHandshakeAsync(socket, answer: "{}");
            var invocation = (await ReadRecordAsync(socket)).RootElement.GetProperty("invocationId").GetString();
            await SendAsync(socket, $$"""{"type":3,"invocationId":"{{invocation}}","error":"auth.invalid_resident_token"}{{Rs}}""");
            await DrainAsync(socket);
        });
        var log = new ReceiptLog();

        foreach (var expected in new[] { "handshake refused", "auth.invalid_resident_token" })
        {
            using var client = new SignalRResidentSocket(new SignalRResident("ext-1", "id-1", "token-1"), log, TimeProvider.System);
            using var timeout = new CancellationTokenSource(Patience);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ConnectAsync(peer.BaseAddress, 0, OpenLoopbackSocketAsync, timeout.Token));
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
    }

    private static async Task AnswerSubscribeAsync(WebSocket socket)
    {
        await ExpectHandshakeAsync(socket, answer: "{}");
        var invocation = (await ReadRecordAsync(socket)).RootElement.GetProperty("invocationId").GetString();
        await SendAsync(socket, $$"""{"type":3,"invocationId":"{{invocation}}","result":true}{{Rs}}""");
    }

    private static string Alert(string alertId, int version) =>
        $$"""{"type":1,"target":"alert","arguments":[{"alertId":"{{alertId}}","version":{{version}},"headline":"横手川 氾濫危険","idempotencyKey":"{{alertId}}:{{version}}:signalr"}]}""";

    private static async Task<WebSocket> OpenLoopbackSocketAsync(Uri url, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(url) { Scheme = "ws" }.Uri, cancellationToken);
        return socket;
    }

    private static async Task ExpectHandshakeAsync(WebSocket socket, string answer)
    {
        using var handshake = await ReadRecordAsync(socket);
        Assert.Equal("json", handshake.RootElement.GetProperty("protocol").GetString());
        Assert.Equal(1, handshake.RootElement.GetProperty("version").GetInt32());
        await SendAsync(socket, answer + Rs);
    }

    /// <summary>Reads one record (the client sends each in a message of its own).</summary>
    private static async Task<JsonDocument> ReadRecordAsync(WebSocket socket)
    {
        var buffer = new byte[4096];
        var filled = 0;
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            filled += received.Count;
            if (filled > 0 && buffer[filled - 1] == 0x1e)
            {
                return JsonDocument.Parse(buffer.AsMemory(0, filled - 1));
            }
        }
    }

    private static Task SendAsync(WebSocket socket, string text) =>
        socket.SendAsync(new ArraySegment<byte>(Encoding.UTF8.GetBytes(text)), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>Reads (pings, a close) until the client goes.</summary>
    private static async Task DrainAsync(WebSocket socket)
    {
        var buffer = new byte[1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                if ((await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }
            }
        }
        catch (WebSocketException)
        {
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached" + (state is null ? "" : ": " + state()));
            await Task.Delay(20);
        }
    }

    /// <summary>A WebSocket peer on 127.0.0.1 at /hubs/alerts running a script per connection (given its 0-based number).</summary>
    private sealed class ScriptedHub : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ScriptedHub(WebApplication app, Uri baseAddress)
        {
            _app = app;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        /// <param name="refuse">Which connections (by number) are answered 503 instead.</param>
        /// <param name="inbox">Answers <c>GET /api/residents/{id}/inbox</c>; null: not mapped (404).</param>
        public static async Task<ScriptedHub> StartAsync(Func<WebSocket, int, Task> script, Func<int, bool>? refuse = null, Func<HttpContext, Task>? inbox = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.UseWebSockets();
            var connections = -1;
            app.Map("/hubs/alerts", async (HttpContext context) =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                {
                    context.Response.StatusCode = 400;
                    return;
                }

                var number = Interlocked.Increment(ref connections);
                if (refuse?.Invoke(number) == true)
                {
                    context.Response.StatusCode = 503;
                    return;
                }

                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                await script(socket, number);
            });
            if (inbox is not null)
            {
                app.MapGet("/api/residents/{id}/inbox", inbox);
            }

            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ScriptedHub(app, new Uri(address + "/"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
