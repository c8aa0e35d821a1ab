using MailKit.Security;

namespace AlertHub.Server.Features.Delivery.Channels.Email;

/// <summary>Configuration section <c>Channels:Email</c>: the 安全・安心メール channel over SMTP (MailKit).</summary>
public sealed class EmailChannelOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>SMTP server (the city's submission server or relay). Default <c>localhost</c>.</summary>
    public string Host { get; set; } = "localhost";

    /// <summary>SMTP port. Default 587 (submission).</summary>
    public int Port { get; set; } = 587;

    /// <summary>Transport security: <c>None</c>, <c>StartTls</c>, <c>SslOnConnect</c> (or MailKit's <c>Auto</c>,
    /// <c>StartTlsWhenAvailable</c>). Default <c>StartTls</c>.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>SMTP AUTH user; no authentication when empty. Default none.</summary>
    public string? UserName { get; set; }

    /// <summary>SMTP AUTH password (never logged). Default none.</summary>
    public string? Password { get; set; }

    /// <summary>The From address residents see. Default <c>noreply@alerthub.invalid</c> — set it in production.</summary>
    public string FromAddress { get; set; } = "noreply@alerthub.invalid";

    /// <summary>The From display name, also used in the footer. Default <c>横手市 安全・安心メール</c>.</summary>
    public string FromName { get; set; } = "横手市 安全・安心メール";

    /// <summary>Envelope sender (MAIL FROM, where bounces go). Default: <see cref="FromAddress"/>.</summary>
    public string? BounceAddress { get; set; }

    /// <summary>Right-hand side of Message-IDs. Default: the domain of <see cref="FromAddress"/>.</summary>
    public string? MessageIdDomain { get; set; }

    /// <summary>Items per batch handed to the channel. Default 500.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>SMTP connections a batch uses in parallel. Each message costs a few round trips, and the next one waits
    /// for the outcomes before it to be written: alone, 16 send about 2,800 a second. While other channels keep the cores
    /// busy, more connections send e-mail sooner only by sending the others later (docs/load-tests.md, 2026-12-08).
    /// 16 is well below a relay's usual per-client limit (Postfix: 50). Default 16.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>Messages (one recipient each, so also recipients) sent over one connection before it is closed;
    /// keep it at or below the server's per-connection limit. Default 100.</summary>
    public int MaxMessagesPerConnection { get; set; } = 100;

    /// <summary>Timeout of one SMTP command or connect. Default 30 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retry delay after the server says to slow down (421, or a 4.7.x enhanced code). Default 60 s.</summary>
    public TimeSpan ThrottleRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Double opt-in: addresses registered through the API stay pending until the owner opens the link in a
    /// confirmation mail. Default true. (Admin import may skip it with <c>?emailConfirmed=true</c>, audited.)</summary>
    public bool RequireConfirmation { get; set; } = true;

    /// <summary>How long a confirmation link works. Default 7 days.</summary>
    public TimeSpan ConfirmationLinkLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>HMAC key (base64, at least 32 bytes) signing confirmation and unsubscribe links. Default: generated once
    /// and kept in <c>&lt;DataDirectory&gt;/email-link.key</c> (owner-only). Several hub nodes must share one.</summary>
    public string? LinkSigningKey { get; set; }
}
