using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AlertHub.MobileSim.Peers.Fcm;
using AlertHub.MobileSim.Report;
using AlertHub.Server.Features.Delivery.Channels.Fcm;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;

namespace AlertHub.IntegrationTests.Features.Channels.Fcm;

/// <summary>The service-account JWT flow through Google.Apis.Auth against the fake's token endpoint, and the fake's send contract.</summary>
public sealed class FcmTokenFlowTests : IAsyncLifetime
{
    private readonly FakeFcm _fcm = new(new ReceiptLog());
    private readonly HttpClient _http = new();

    public Task InitializeAsync() => _fcm.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _fcm.DisposeAsync();
    }

    [Fact]
    public async Task GoogleApisAuth_WithTheFakesServiceAccount_GetsATokenTheSendEndpointAccepts()
    {
        using var tokens = new GoogleFcmAccessTokens(Options(_fcm.PrivateKeyPem), TimeProvider.System);

        var accessToken = await tokens.GetAsync(CancellationToken.None);
        var again = await tokens.GetAsync(CancellationToken.None);

        Assert.StartsWith("ya29.", accessToken, StringComparison.Ordinal);
        Assert.Equal(accessToken, again);
        Assert.Equal(1, _fcm.TokenRequests);
        var token = _fcm.EndpointFor("device-1").Address!;
        using var response = await SendAsync(accessToken, $$$$"""{"message":{"token":"{{{{token}}}}","data":{"alertId":"A1","version":"1"}}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("^projects/alerthub-sim/messages/0:\\d+%[0-9a-f]+$", (await Json(response))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task GoogleApisAuth_RefreshAfterExpiry_GetsANewToken()
    {
        using var tokens = new GoogleFcmAccessTokens(Options(_fcm.PrivateKeyPem), TimeProvider.System);
        var first = await tokens.GetAsync(CancellationToken.None);
        _fcm.ExpireAccessTokens();

        using var refused = await SendAsync(first, """{"message":{"topic":"area-05203","data":{"a":"b"}}}""");
        await tokens.RefreshAsync(first, CancellationToken.None);
        await tokens.RefreshAsync(first, CancellationToken.None);
        var second = await tokens.GetAsync(CancellationToken.None);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("UNAUTHENTICATED", (await Json(refused))["error"]!["status"]!.GetValue<string>());
        Assert.NotEqual(first, second);
        Assert.Equal(2, _fcm.TokenRequests);
    }

    [Fact]
    public async Task GoogleApisAuth_WithAnotherKey_IsRefusedAsInvalidGrant()
    {
        using var other = RSA.Create(2048);
        using var tokens = new GoogleFcmAccessTokens(Options(other.ExportPkcs8PrivateKeyPem()), TimeProvider.System);

        var error = await Assert.ThrowsAsync<TokenResponseException>(() => tokens.GetAsync(CancellationToken.None));

        Assert.Equal("invalid_grant", error.Error.Error);
        Assert.Equal("Invalid JWT Signature.", error.Error.ErrorDescription);
        Assert.Equal(0, _fcm.TokenRequests);
    }

    [Fact]
    public async Task TokenEndpoint_WrongGrantTypeOrScope_IsRefused()
    {
        using var wrongGrant = await _http.PostAsync(_fcm.TokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["assertion"] = "x.y.z",
        }));
        var credential = new ServiceAccountCredential(new ServiceAccountCredential.Initializer(_fcm.ServiceAccountEmail, _fcm.TokenUrl)
        {
            Scopes = ["https://www.googleapis.com/auth/userinfo.email"],
        }.FromPrivateKey(_fcm.PrivateKeyPem));
        var wrongScope = await Assert.ThrowsAsync<TokenResponseException>(() => credential.GetAccessTokenForRequestAsync());

        Assert.Equal(HttpStatusCode.BadRequest, wrongGrant.StatusCode);
        Assert.Equal("unsupported_grant_type", (await Json(wrongGrant))["error"]!.GetValue<string>());
        Assert.Equal("invalid_scope", wrongScope.Error.Error);
    }

    [Fact]
    public async Task TokenEndpoint_HandRolledJwtWithLongLifetimeOrWrongAudience_IsRefused()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var tooLong = Jwt(new JsonObject { ["iss"] = _fcm.ServiceAccountEmail, ["scope"] = GoogleFcmAccessTokens.Scope, ["aud"] = FakeFcm.GoogleTokenAudience, ["iat"] = now, ["exp"] = now + 7200 });
        var wrongAud = Jwt(new JsonObject { ["iss"] = _fcm.ServiceAccountEmail, ["scope"] = GoogleFcmAccessTokens.Scope, ["aud"] = _fcm.TokenUrl, ["iat"] = now, ["exp"] = now + 3600 });
        var good = Jwt(new JsonObject { ["iss"] = _fcm.ServiceAccountEmail, ["scope"] = "https://www.googleapis.com/auth/cloud-platform", ["aud"] = FakeFcm.GoogleTokenAudience, ["iat"] = now, ["exp"] = now + 3600 });

        Assert.Contains("short-lived", await TokenErrorAsync(tooLong), StringComparison.Ordinal);
        Assert.Contains("audience", await TokenErrorAsync(wrongAud), StringComparison.Ordinal);
        using var ok = await PostAssertionAsync(good);
        var body = await Json(ok);
        Assert.Equal("Bearer", body["token_type"]!.GetValue<string>());
        Assert.Equal(3599, body["expires_in"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"message":{"token":"TOKEN","data":{"version":1}}}""", "message.data[0].value")]
    [InlineData("""{"message":{"token":"TOKEN","data":{"from":"x"}}}""", "message.data")]
    [InlineData("""{"message":{"token":"TOKEN","topic":"news"}}""", "message")]
    [InlineData("""{"message":{"data":{"a":"b"}}}""", "message")]
    [InlineData("""{"message":{"token":"TOKEN","android":{"ttl":"3600"}}}""", "message.android.ttl")]
    [InlineData("""{"message":{"token":"TOKEN","android":{"ttl":"2419201s"}}}""", "message.android.ttl")]
    [InlineData("""{"message":{"token":"bad token!"}}""", "message.token")]
    public async Task Send_ContractViolation_IsInvalidArgumentNamingTheField(string body, string field)
    {
        using var tokens = new GoogleFcmAccessTokens(Options(_fcm.PrivateKeyPem), TimeProvider.System);
        var token = _fcm.EndpointFor("device-2").Address!;

        using var response = await SendAsync(await tokens.GetAsync(CancellationToken.None), body.Replace("TOKEN", token, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json(response))["error"]!;
        Assert.Equal(400, error["code"]!.GetValue<int>());
        Assert.Equal("INVALID_ARGUMENT", error["status"]!.GetValue<string>());
        Assert.Equal("type.googleapis.com/google.firebase.fcm.v1.FcmError", error["details"]![0]!["@type"]!.GetValue<string>());
        Assert.Equal("INVALID_ARGUMENT", error["details"]![0]!["errorCode"]!.GetValue<string>());
        Assert.Equal(field, error["details"]![1]!["fieldViolations"]![0]!["field"]!.GetValue<string>());
        Assert.Equal(0, _fcm.AcceptedCount);
    }

    [Fact]
    public async Task Send_TooBigPayload_IsRefused()
    {
        using var tokens = new GoogleFcmAccessTokens(Options(_fcm.PrivateKeyPem), TimeProvider.System);
        var token = _fcm.EndpointFor("device-3").Address!;

        using var response = await SendAsync(await tokens.GetAsync(CancellationToken.None),
            $$$$"""{"message":{"token":"{{{{token}}}}","notification":{"body":"{{{{new string('あ', 1400)}}}}"}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Message is too big", (await Json(response))["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_UnknownToken_AnswersGooglesUnregisteredBodyExactly()
    {
        using var tokens = new GoogleFcmAccessTokens(Options(_fcm.PrivateKeyPem), TimeProvider.System);

        using var response = await SendAsync(await tokens.GetAsync(CancellationToken.None),
            $$$"""{"message":{"token":"{{{FakeFcm.DeviceToken("nobody")}}}"}}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(
            """{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}""",
            await response.Content.ReadAsStringAsync());
    }

    private FcmChannelOptions Options(string pem) => new()
    {
        Enabled = true,
        ProjectId = _fcm.ProjectId,
        ServiceAccountEmail = _fcm.ServiceAccountEmail,
        PrivateKeyPem = pem,
        TokenUrl = _fcm.TokenUrl,
        BaseUrl = _fcm.BaseUrl,
    };

    private async Task<HttpResponseMessage> SendAsync(string accessToken, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_fcm.BaseUrl}/v1/projects/{_fcm.ProjectId}/messages:send")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await _http.SendAsync(request);
    }

    private string Jwt(JsonObject claims)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(_fcm.PrivateKeyPem);
        var head = Base64Url("""{"alg":"RS256","typ":"JWT"}"""u8.ToArray()) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return head + "." + Base64Url(rsa.SignData(Encoding.ASCII.GetBytes(head), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    private Task<HttpResponseMessage> PostAssertionAsync(string jwt) =>
        _http.PostAsync(_fcm.TokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = FakeFcm.JwtBearerGrant,
            ["assertion"] = jwt,
        }));

    private async Task<string> TokenErrorAsync(string jwt)
    {
        using var response = await PostAssertionAsync(jwt);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
        return body["error_description"]!.GetValue<string>();
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
}
