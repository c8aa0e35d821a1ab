namespace AlertHub.Server.Features.Security;

/// <summary>The policy refused every address of a host at connect time; <see cref="Reason"/> says why.</summary>
internal sealed class OutboundRefusedException(string host, string reason)
    : HttpRequestException($"Outbound connection to {host} refused by policy: {reason}")
{
    public string Host { get; } = host;

    public string Reason { get; } = reason;

    /// <summary>The refusal inside <paramref name="error"/> (SocketsHttpHandler wraps what its connect callback throws), or null.</summary>
    public static OutboundRefusedException? Find(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is OutboundRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }
}
