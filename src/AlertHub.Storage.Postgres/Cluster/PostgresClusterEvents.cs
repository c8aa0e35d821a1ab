using System.Collections.Concurrent;
using AlertHub.Core.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AlertHub.Storage.Postgres.Cluster;

/// <summary>
/// <see cref="IClusterEvents"/> over PostgreSQL LISTEN/NOTIFY: each node holds one connection that LISTENs on
/// <see cref="Channel"/> (probed every <see cref="ClusterEventsOptions.KeepAlive"/>, replaced with bounded, jittered backoff
/// when it breaks) and publishes with <c>pg_notify</c> on a pooled connection. This hosted service owns the listener.
/// </summary>
/// <remarks>
/// One channel carries every topic (<c>{node}\u001f{number}\u001f{topic}\u001f{payload}</c>), so the listener never has to
/// LISTEN again when a feature subscribes. A node's own notifications come back to it: they are dropped (its subscribers
/// heard them at once when published) but confirm that the server has passed them on. For
/// <see cref="ClusterTopics.Acknowledged"/> topics every other listening node answers once its handlers ran, and
/// <see cref="PublishAsync"/> waits (at most a second) for those answers, so a revoked key is refused by every node from the
/// moment the revoking call answers. PostgreSQL delivers notifications only to sessions listening at commit time, so
/// after a reconnect every subscriber hears a resync.
/// </remarks>
internal sealed partial class PostgresClusterEvents(NpgsqlDataSource dataSource, ClusterNode node, IOptions<ClusterEventsOptions> options,
    TimeProvider time, ILogger<PostgresClusterEvents> logger) : BackgroundService, IClusterEvents
{
    public const string Channel = "alerthub_cluster";

    /// <summary>The listening connection's <c>application_name</c>.</summary>
    public const string ListenerName = "alerthub-listener";

    private const char Separator = '\u001f';

    /// <summary>How long a publish waits for its own notification (and the other nodes' acknowledgements) before answering anyway.</summary>
    private static readonly TimeSpan EchoWait = TimeSpan.FromSeconds(1);

    /// <summary>The topic of "applied": a node that ran its handlers for an <see cref="ClusterTopics.Acknowledged"/> topic says so to the publisher.</summary>
    private const string AckTopic = "\u0006ack";

    private readonly ClusterSubscriptions _subscriptions = new();
    private readonly ConcurrentDictionary<long, Delivery> _echoes = new();
    private long _published;
    private NpgsqlConnection? _connection;
    private volatile bool _listening;
    private bool _missedSinceStart;

    public bool SpansNodes => true;

    /// <summary>Whether this node hears other nodes right now.</summary>
    public bool IsListening => _listening;

    /// <summary>The payload of a NOTIFY on <see cref="Channel"/>; stores that notify inside their own transaction use it too.</summary>
    public static string Encode(string origin, long number, string topic, string payload) =>
        string.Join(Separator, origin, number.ToString(System.Globalization.CultureInfo.InvariantCulture), topic, payload);

    public IDisposable Subscribe(string topic, Action<ClusterEvent> handler) => _subscriptions.Add(topic, handler);

    public async Task PublishAsync(string topic, string payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        if (payload.Length > ClusterTopics.MaxPayloadLength || topic.Contains(Separator) || payload.Contains(Separator))
        {
            throw new ArgumentException($"A cluster notification carries ids, not documents: at most {ClusterTopics.MaxPayloadLength} characters, no U+001F.", nameof(payload));
        }

        Dispatch(new ClusterEvent(topic, payload, FromThisNode: true));
        var number = Interlocked.Increment(ref _published);
        var echo = _listening ? _echoes.GetOrAdd(number, _ => new Delivery()) : null;
        try
        {
            // Not the caller's token: the change is committed, and a request aborted now must not keep other nodes from hearing it.
            // The listeners counted in the same statement are the nodes the notification goes to (this one among them).
            await using var notify = dataSource.CreateCommand("""
                SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = @listener AND datname = current_database())::int,
                    pg_notify(@channel, @payload)
                """);
            notify.CommandTimeout = 5;
            notify.Parameters.AddWithValue("listener", ListenerName);
            notify.Parameters.AddWithValue("channel", Channel);
            notify.Parameters.AddWithValue("payload", Encode(node.Id, number, topic, payload));
            int listeners;
            await using (var reader = await notify.ExecuteReaderAsync(CancellationToken.None))
            {
                listeners = await reader.ReadAsync(CancellationToken.None) ? reader.GetInt32(0) : 0;
            }

            if (echo is not null)
            {
                echo.Expect(ClusterTopics.Acknowledged.Contains(topic) ? listeners - 1 : 0);
                await echo.Done.WaitAsync(EchoWait, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Sent; the caller just stopped waiting for the echo.
        }
        catch (TimeoutException)
        {
            LogEchoLate(logger, topic);
        }
        catch (Exception e)
        {
            // The store commit already happened: other nodes learn of it when they resync or check the store.
            LogPublishFailed(logger, topic, e);
        }
        finally
        {
            _echoes.TryRemove(number, out _);
        }
    }

    /// <summary>Listens before the startup steps load caches (they run after this), so no change between load and listen is missed.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(TimeSpan.FromSeconds(10));
            await ConnectAsync(bounded.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The listener keeps trying in the background; when it gets through, subscribers hear a resync.
            _missedSinceStart = true;
            LogListenFailed(logger, e);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_connection is null)
            {
                try
                {
                    await ConnectAsync(stoppingToken);
                    failures = 0;
                    LogListening(logger, node.Id);
                    if (_missedSinceStart)
                    {
                        RaiseResync();
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    failures++;
                    var delay = Backoff(failures);
                    LogReconnectFailed(logger, failures, delay.TotalMilliseconds, e);
                    await DelayAsync(delay, stoppingToken);
                    continue;
                }
            }

            try
            {
                var keepAlive = options.Value.KeepAlive;
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await _connection!.WaitAsync(keepAlive, stoppingToken))
                    {
                        // Idle: prove the connection still answers (a half-open one would otherwise wait silently forever).
                        await using var ping = new NpgsqlCommand("SELECT 1", _connection) { CommandTimeout = Math.Max(1, (int)keepAlive.TotalSeconds) };
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogConnectionLost(logger, e);
                await DropConnectionAsync();
                _missedSinceStart = true;
                // A short pause before the first reconnect too, so a server that refuses at once is not hammered.
                await DelayAsync(Backoff(1), stoppingToken);
            }
        }

        await DropConnectionAsync();
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            connection.Notification += OnNotification;
            // Named, so operators (and tests) can tell it in pg_stat_activity; the pool resets the name when it takes it back.
            await using var listen = new NpgsqlCommand($"SET application_name = '{ListenerName}'; LISTEN {Channel}", connection);
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            connection.Notification -= OnNotification;
            await connection.DisposeAsync();
            throw;
        }

        _connection = connection;
        _listening = true;
    }

    private async Task DropConnectionAsync()
    {
        _listening = false;
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            connection.Notification -= OnNotification;
            try
            {
                await connection.DisposeAsync();
            }
            catch (Exception e) when (e is NpgsqlException or System.IO.IOException or System.Net.Sockets.SocketException)
            {
                // Already broken: nothing to close.
            }
        }

        foreach (var echo in _echoes.Values)
        {
            echo.Abandon();
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var parts = e.Payload.Split(Separator, 4);
        if (parts.Length != 4)
        {
            LogMalformed(logger, e.Payload.Length);
            return;
        }

        if (parts[2] == AckTopic)
        {
            // "{publisher}\u001e{number}": another node has applied one of this node's notifications.
            var ack = parts[3].Split('\u001e');
            if (ack.Length == 2 && ack[0] == node.Id && long.TryParse(ack[1], System.Globalization.CultureInfo.InvariantCulture, out var acked)
                && _echoes.TryGetValue(acked, out var waiting))
            {
                waiting.Acknowledged();
            }

            return;
        }

        if (parts[0] == node.Id)
        {
            if (long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var number) && _echoes.TryGetValue(number, out var echo))
            {
                echo.Echoed();
            }

            return;
        }

        Dispatch(new ClusterEvent(parts[2], parts[3], FromThisNode: false));
        if (ClusterTopics.Acknowledged.Contains(parts[2]))
        {
            // Not on this connection: it is busy listening (this handler runs inside its wait).
            _ = AcknowledgeAsync(parts[0], parts[1]);
        }
    }

    private async Task AcknowledgeAsync(string publisher, string number)
    {
        try
        {
            await using var ack = dataSource.CreateCommand("SELECT pg_notify(@channel, @payload)");
            ack.CommandTimeout = 5;
            ack.Parameters.AddWithValue("channel", Channel);
            ack.Parameters.AddWithValue("payload", Encode(node.Id, 0, AckTopic, publisher + "\u001e" + number));
            await ack.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // The publisher stops waiting after a second; nothing else depends on the acknowledgement.
            LogPublishFailed(logger, AckTopic, e);
        }
    }

    /// <summary>One publish waiting for its echo and for the acknowledgements of the other listening nodes.</summary>
    private sealed class Delivery
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _expected = -1;
        private int _acknowledged;
        private int _echoed;

        public Task Done => _done.Task;

        public void Expect(int acknowledgements)
        {
            Volatile.Write(ref _expected, Math.Max(0, acknowledgements));
            Check();
        }

        public void Acknowledged()
        {
            Interlocked.Increment(ref _acknowledged);
            Check();
        }

        public void Echoed()
        {
            Volatile.Write(ref _echoed, 1);
            Check();
        }

        public void Abandon() => _done.TrySetResult();

        private void Check()
        {
            var expected = Volatile.Read(ref _expected);
            if (expected >= 0 && Volatile.Read(ref _echoed) == 1 && Volatile.Read(ref _acknowledged) >= expected)
            {
                _done.TrySetResult();
            }
        }
    }

    private void RaiseResync()
    {
        _missedSinceStart = false;
        LogResync(logger);
        foreach (var (topic, handler) in _subscriptions.All())
        {
            Run(handler, new ClusterEvent(topic, "", FromThisNode: false, IsResync: true));
        }
    }

    private void Dispatch(ClusterEvent e)
    {
        foreach (var handler in _subscriptions.HandlersOf(e.Topic))
        {
            Run(handler, e);
        }
    }

    private void Run(Action<ClusterEvent> handler, ClusterEvent e)
    {
        try
        {
            handler(e);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(logger, e.Topic, ex);
        }
    }

    /// <summary>Doubling from the minimum up to the maximum, each wait drawn between half and all of it (nodes do not reconnect in step).</summary>
    private TimeSpan Backoff(int failures)
    {
        var o = options.Value;
        var ceiling = Math.Min(o.ReconnectMaxDelay.TotalMilliseconds, o.ReconnectMinDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await DropConnectionAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster notifications: node {Node} is listening")]
    private static partial void LogListening(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster notifications: could not listen at start; retrying in the background")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster notifications: the listening connection was lost; reconnecting")]
    private static partial void LogConnectionLost(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster notifications: reconnect attempt {Attempt} failed; next in {DelayMs:0} ms")]
    private static partial void LogReconnectFailed(ILogger logger, int attempt, double delayMs, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster notifications: listening again; caches reload and the targeting index catches up")]
    private static partial void LogResync(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster notifications: could not publish {Topic}; other nodes catch up from the store")]
    private static partial void LogPublishFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cluster notifications: {Topic} did not come back within a second")]
    private static partial void LogEchoLate(ILogger logger, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster notifications: ignored a malformed notification ({Length} characters)")]
    private static partial void LogMalformed(ILogger logger, int length);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster notifications: a subscriber of {Topic} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string topic, Exception exception);
}
