using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace AlertHub.Server.Features.Delivery.Channels.LAlert;

/// <summary>What a node said to one publication.</summary>
/// <param name="Code">processResponse/code: 0 正常終了, 401 URI形式不正, 402 スキーマ不適合, 901 システムエラー; null when there was no answer to read.</param>
internal sealed record LAlertAnswer(bool Accepted, bool Permanent, int? Code, string Result, bool CredentialsRefused = false);

/// <summary>
/// SOAP 1.1 <c>publish</c> on <c>http://soap.publiccommons.ne.jp/</c> (document/literal, <c>SOAPAction: ""</c>), one EDXL-DE
/// distribution per call, authenticated with a WS-Security UsernameToken whose password is sent only as a digest:
/// Base64(SHA-1(nonce + Created + password)), with a fresh nonce and time on every attempt.
/// </summary>
internal static class LAlertSoapClient
{
    public const string SoapNs = "http://schemas.xmlsoap.org/soap/envelope/";
    public const string PublishNs = "http://soap.publiccommons.ne.jp/";
    public const string Wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    public const string Wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    public const string PasswordDigestType = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
    public const string Base64Type = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-soap-message-security-1.0#Base64Binary";

    /// <summary>The WS-Security PasswordDigest (SHA-1 is the profile's choice, not ours).</summary>
    public static string PasswordDigest(byte[] nonce, string created, string password)
    {
        var bytes = new byte[nonce.Length + Encoding.UTF8.GetByteCount(created) + Encoding.UTF8.GetByteCount(password)];
        nonce.CopyTo(bytes, 0);
        var n = Encoding.UTF8.GetBytes(created, 0, created.Length, bytes, nonce.Length);
        Encoding.UTF8.GetBytes(password, 0, password.Length, bytes, nonce.Length + n);
#pragma warning disable CA5350
        return Convert.ToBase64String(SHA1.HashData(bytes));
#pragma warning restore CA5350
    }

    /// <summary>The SOAP request around one stored distribution (its bytes unchanged).</summary>
    public static byte[] Envelope(byte[] distribution, LAlertNodeOptions node, DateTimeOffset now)
    {
        var nonce = RandomNumberGenerator.GetBytes(16);
        var created = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var head = $"""<soap:Envelope xmlns:soap="{SoapNs}"><soap:Header><wsse:Security xmlns:wsse="{Wsse}" xmlns:wsu="{Wsu}" soap:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>{Escape(node.Username)}</wsse:Username><wsse:Password Type="{PasswordDigestType}">{PasswordDigest(nonce, created, node.Password)}</wsse:Password><wsse:Nonce EncodingType="{Base64Type}">{Convert.ToBase64String(nonce)}</wsse:Nonce><wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security></soap:Header><soap:Body><pcsoap:publish xmlns:pcsoap="{PublishNs}"><pcsoap:message>""";
        const string tail = "</pcsoap:message></pcsoap:publish></soap:Body></soap:Envelope>";
        return [.. Encoding.UTF8.GetBytes(head), .. distribution, .. Encoding.UTF8.GetBytes(tail)];
    }

    public static async Task<LAlertAnswer> PublishAsync(HttpClient client, LAlertNodeOptions node, byte[] distribution, DateTimeOffset now,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, node.Url) { Content = new ByteArrayContent(Envelope(distribution, node, now)) };
        request.Content.Headers.ContentType = new("text/xml") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("SOAPAction", "\"\"");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var response = await client.SendAsync(request, cts.Token);
            var body = await response.Content.ReadAsStringAsync(cts.Token);
            return Read(body, (int)response.StatusCode);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new LAlertAnswer(false, false, null, "no answer within " + timeout.TotalSeconds + " s");
        }
        catch (HttpRequestException e)
        {
            return new LAlertAnswer(false, false, null, e.Message);
        }
    }

    /// <summary>Reads publishResponse/processResponse/code, or a SOAP fault (a refused UsernameToken is one).</summary>
    public static LAlertAnswer Read(string body, int httpStatus)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Load(XmlReader.Create(new StringReader(body), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 1_000_000 }));
        }
        catch (XmlException)
        {
            return new LAlertAnswer(false, false, null, $"HTTP {httpStatus} without a SOAP answer");
        }

        if (doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "Fault") is { } fault)
        {
            var code = fault.Elements().FirstOrDefault(e => e.Name.LocalName == "faultcode")?.Value ?? "";
            var text = fault.Elements().FirstOrDefault(e => e.Name.LocalName == "faultstring")?.Value ?? "";
            var auth = code.Contains("FailedAuthentication", StringComparison.Ordinal) || code.Contains("InvalidSecurity", StringComparison.Ordinal);
            return new LAlertAnswer(false, false, null, $"SOAP fault {code}: {text}", CredentialsRefused: auth);
        }

        var codeText = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "code")?.Value;
        var result = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "result")?.Value ?? "";
        if (!int.TryParse(codeText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var c))
        {
            return new LAlertAnswer(false, false, null, $"HTTP {httpStatus} without processResponse/code");
        }

        return c switch
        {
            0 => new LAlertAnswer(true, false, 0, result),
            // 401 (URI) and 402 (schema): this document will never be accepted as it is.
            401 or 402 => new LAlertAnswer(false, true, c, result),
            _ => new LAlertAnswer(false, false, c, result),
        };
    }

    private static string Escape(string s) => System.Security.SecurityElement.Escape(s) ?? "";
}
