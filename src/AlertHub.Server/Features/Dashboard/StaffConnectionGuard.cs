using System.Collections.Concurrent;
using System.Security.Claims;
using AlertHub.Server.Features.Auth;
using AlertHub.Server.Features.Staff;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Dashboard;

/// <summary>
/// Staff SignalR connections hear 安否 notes with locations and drafts, so they live only as long as the credential
/// they came with: a revoked key, a disabled, changed or deleted user, or an ended session closes them at once (the
/// change is published by the stores and this guard answers before the API call that made it does), and a session
/// that reaches its maximum lifetime closes them at the next check. An open connection counts as the session's
/// activity: a board watched without clicks does not idle out.
/// </summary>
internal sealed partial class StaffConnectionGuard : BackgroundService
{
    private readonly ConcurrentDictionary<string, StaffConnection> _connections = new();
    private readonly SemaphoreSlim _checking = new(1, 1);
    private readonly ApiKeys _keys;
    private readonly StaffUsers _users;
    private readonly IHubContext<StaffHub, IStaffClient> _hub;
    private readonly IOptions<StaffOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StaffConnectionGuard> _logger;

    public StaffConnectionGuard(ApiKeys keys, StaffUsers users, CredentialChanges changes, IHubContext<StaffHub, IStaffClient> hub,
        IOptions<StaffOptions> options, TimeProvider time, ILogger<StaffConnectionGuard> logger)
    {
        _keys = keys;
        _users = users;
        _hub = hub;
        _options = options;
        _time = time;
        _logger = logger;
        changes.Subscribe(CheckAllAsync);
    }

    /// <summary>The credential a staff connection was opened with: an API key id, or a staff session id.</summary>
    private sealed record StaffConnection(HubCallerContext Context, string? KeyId, string? SessionId);

    public int Count => _connections.Count;

    /// <summary>Remembers a connection that joined the staff group. Returns false when its credential cannot be re-checked.</summary>
    public bool Add(HubCallerContext context)
    {
        var user = context.User;
        var sessionId = user?.FindFirstValue(StaffSessionAuthentication.SessionClaim);
        var keyId = user?.Identity?.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;
        if (sessionId is null && keyId is null)
        {
            return false;
        }

        _connections[context.ConnectionId] = new StaffConnection(context, keyId, sessionId);
        return true;
    }

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.Value.ConnectionRecheckInterval, _time, stoppingToken);
                await CheckAllAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogCheckFailed(_logger, e);
            }
        }
    }

    /// <summary>Closes every staff connection whose credential no longer holds.</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        if (_connections.IsEmpty)
        {
            return;
        }

        await _checking.WaitAsync(cancellationToken);
        try
        {
            foreach (var (connectionId, connection) in _connections)
            {
                if (await StillValidAsync(connection, cancellationToken) is { } reason)
                {
                    _connections.TryRemove(connectionId, out _);
                    await _hub.Groups.RemoveFromGroupAsync(connectionId, StaffHub.StaffGroup, cancellationToken);
                    connection.Context.Abort();
                    LogClosed(_logger, connectionId, reason);
                }
            }
        }
        finally
        {
            _checking.Release();
        }
    }

    /// <summary>Null while the credential holds; otherwise why it does not.</summary>
    private async Task<string?> StillValidAsync(StaffConnection connection, CancellationToken cancellationToken)
    {
        if (connection.KeyId is { } keyId)
        {
            return _keys.FindActiveById(keyId) is { } key && StaffRoles.RolesSatisfying(StaffRoles.Viewer).Contains(key.Role) ? null : "key revoked";
        }

        var found = await _users.GetSessionAsync(connection.SessionId!, cancellationToken);
        var now = _time.GetUtcNow();
        var o = _options.Value;
        if (found is not { } f)
        {
            return "session ended";
        }

        if (f.User.Disabled || !f.User.Roles.Intersect(StaffRoles.RolesSatisfying(StaffRoles.Viewer)).Any())
        {
            return "user disabled or no longer staff";
        }

        if (now - f.Session.CreatedAt > o.SessionMaxLifetime)
        {
            // The next request with this cookie ends the session in the store; the connection ends now.
            return "session reached its maximum lifetime";
        }

        if (now - f.Session.LastSeenAt > TimeSpan.FromMinutes(1))
        {
            await _users.TouchSessionAsync(connection.SessionId!, now, cancellationToken);
        }

        return null;
    }

    public override void Dispose()
    {
        _checking.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed staff connection {ConnectionId}: {Reason}")]
    private static partial void LogClosed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-checking staff connections failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
