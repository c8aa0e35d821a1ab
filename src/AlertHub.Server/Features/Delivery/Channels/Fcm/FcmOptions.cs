using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace AlertHub.Server.Features.Delivery.Channels.Fcm;

/// <summary>Configuration section <c>Channels:Fcm</c>: Firebase Cloud Messaging HTTP v1, one request per device token.</summary>
public sealed class FcmChannelOptions : IChannelOptions
{
    /// <summary>Whether the channel runs. Default false. When true, the project and service-account settings are required.</summary>
    public bool Enabled { get; set; }

    /// <summary>Firebase project id (or number) used in <c>/v1/projects/{ProjectId}/messages:send</c>. Required.</summary>
    public string? ProjectId { get; set; }

    /// <summary>The service account's <c>client_email</c> (JWT <c>iss</c>). Required.</summary>
    public string? ServiceAccountEmail { get; set; }

    /// <summary>The service account's <c>private_key</c>: PKCS#8 RSA PEM text. Set this or <see cref="PrivateKeyFile"/>.</summary>
    public string? PrivateKeyPem { get; set; }

    /// <summary>Path of a file holding the PKCS#8 RSA PEM. Set this or <see cref="PrivateKeyPem"/>.</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>OAuth2 token endpoint. Default https://oauth2.googleapis.com/token. The JWT <c>aud</c> stays that URL whatever is set here.</summary>
    public string TokenUrl { get; set; } = "https://oauth2.googleapis.com/token";

    /// <summary>FCM API base. Default https://fcm.googleapis.com.</summary>
    public string BaseUrl { get; set; } = "https://fcm.googleapis.com";

    /// <summary>Tokens handed to one batch. Default 1000.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>Send requests in flight at once. Default 256 (multiplexed over a few HTTP/2 connections).</summary>
    public int MaxConcurrency { get; set; } = 256;

    /// <summary>Messages per minute the hub allows itself (token bucket, refilled every 100 ms). Default 600,000, FCM's default project quota.</summary>
    public int QuotaPerMinute { get; set; } = 600_000;

    /// <summary>How long FCM keeps an undelivered message (capped by the alert's expiry and FCM's 28 days). Default 1 day.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Android notification channel id the app created for alerts, or null for the app's default. Default null.</summary>
    public string? AndroidChannelId { get; set; }

    /// <summary>Timeout of one send request. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>HTTP version requested: "2.0" or "1.1". Default "2.0".</summary>
    public string HttpVersion { get; set; } = "2.0";

    /// <summary>
    /// How <see cref="HttpVersion"/> is negotiated. Default <c>RequestVersionOrLower</c>: HTTP/2 over TLS via ALPN (the real
    /// service), HTTP/1.1 against an http:// loopback fake. <c>RequestVersionExact</c> with "2.0" speaks h2c (prior knowledge)
    /// to an http:// peer that only offers HTTP/2.
    /// </summary>
    public HttpVersionPolicy HttpVersionPolicy { get; set; } = HttpVersionPolicy.RequestVersionOrLower;

    /// <summary>Longest notification title in characters. Default 100.</summary>
    public int MaxTitleLength { get; set; } = 100;

    /// <summary>Longest notification body in characters (the instruction is appended within it). Default 500, so a Japanese message stays well under FCM's 4096-byte payload limit.</summary>
    public int MaxBodyLength { get; set; } = 500;

    internal Version ParsedHttpVersion => Version.Parse(HttpVersion);

    internal string LoadPrivateKeyPem() =>
        !string.IsNullOrWhiteSpace(PrivateKeyPem) ? PrivateKeyPem : File.ReadAllText(PrivateKeyFile!);
}

/// <summary>Fails start-up with one clear message listing every missing or bad FCM setting.</summary>
internal sealed partial class FcmChannelOptionsValidator : IValidateOptions<FcmChannelOptions>
{
    public ValidateOptionsResult Validate(string? name, FcmChannelOptions o)
    {
        if (!o.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.ProjectId) || !ProjectIdPattern().IsMatch(o.ProjectId))
        {
            errors.Add("Channels:Fcm:ProjectId is required (the Firebase project id, e.g. yokote-bousai).");
        }

        if (string.IsNullOrWhiteSpace(o.ServiceAccountEmail) || !o.ServiceAccountEmail.Contains('@', StringComparison.Ordinal))
        {
            errors.Add("Channels:Fcm:ServiceAccountEmail is required (the service account's client_email).");
        }

        var hasPem = !string.IsNullOrWhiteSpace(o.PrivateKeyPem);
        var hasFile = !string.IsNullOrWhiteSpace(o.PrivateKeyFile);
        if (hasPem == hasFile)
        {
            errors.Add("Set exactly one of Channels:Fcm:PrivateKeyPem or Channels:Fcm:PrivateKeyFile (the service account's PKCS#8 RSA private key).");
        }
        else if (hasFile && !File.Exists(o.PrivateKeyFile))
        {
            errors.Add($"Channels:Fcm:PrivateKeyFile {o.PrivateKeyFile} does not exist.");
        }
        else if (!IsRsaPkcs8(o.LoadPrivateKeyPem()))
        {
            errors.Add("The FCM private key is not a PKCS#8 RSA PEM (-----BEGIN PRIVATE KEY-----).");
        }

        if (!IsHttpUrl(o.TokenUrl))
        {
            errors.Add("Channels:Fcm:TokenUrl must be an absolute http(s) URL.");
        }

        if (!IsHttpUrl(o.BaseUrl))
        {
            errors.Add("Channels:Fcm:BaseUrl must be an absolute http(s) URL.");
        }

        if (o.MaxBatchSize is < 1 or > 10_000)
        {
            errors.Add("Channels:Fcm:MaxBatchSize must be 1–10000.");
        }

        if (o.MaxConcurrency is < 1 or > 4096)
        {
            errors.Add("Channels:Fcm:MaxConcurrency must be 1–4096.");
        }

        if (o.QuotaPerMinute < 60)
        {
            errors.Add("Channels:Fcm:QuotaPerMinute must be at least 60.");
        }

        if (o.Ttl < TimeSpan.Zero || o.Ttl > FcmPayload.MaxTtl)
        {
            errors.Add("Channels:Fcm:Ttl must be between 0 and 28 days.");
        }

        if (o.RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add("Channels:Fcm:RequestTimeout must be positive.");
        }

        if (!Version.TryParse(o.HttpVersion, out var v) || (v != System.Net.HttpVersion.Version11 && v != System.Net.HttpVersion.Version20))
        {
            errors.Add("Channels:Fcm:HttpVersion must be \"1.1\" or \"2.0\".");
        }

        if (o.MaxTitleLength is < 10 or > 500 || o.MaxBodyLength is < 10 or > 1000)
        {
            errors.Add("Channels:Fcm:MaxTitleLength must be 10–500 and MaxBodyLength 10–1000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp);

    private static bool IsRsaPkcs8(string pem)
    {
        if (!pem.Contains("-----BEGIN PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex ProjectIdPattern();
}
