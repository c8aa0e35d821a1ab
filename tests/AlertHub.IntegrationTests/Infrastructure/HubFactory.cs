using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlertHub.Server.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlertHub.IntegrationTests.Infrastructure;

/// <summary>
/// The real hub on a real SQLite file in its own temporary data directory (or, inside
/// <see cref="TestEngine.RunOnPostgresAsync"/>, on a PostgreSQL database of its own). Several factories may share one
/// directory to test restarts.
/// </summary>
public sealed class HubFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789abcdef";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private readonly bool _ownsDirectory;

    public HubFactory(string? dataDirectory = null, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _ownsDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? NewDataDirectory();
        _services = services;
        _settings = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = DataDirectory,
            ["Auth:BootstrapAdminKey"] = AdminKey,
            ["Residents:RegistrationsPerMinutePerClient"] = "0",
            ["Areas:LoadDemoAreas"] = "false",
            ["Delivery:PollInterval"] = "00:00:00.200",
            ["Delivery:RetryBaseDelay"] = "00:00:00.200",
            // Tests do not depend on how full the machine's disk is (DiskSpaceTests sets its own threshold).
            ["Storage:MinFreeDiskMegabytes"] = "0",
        };
        foreach (var (key, value) in TestEngine.SettingsFor(DataDirectory))
        {
            _settings[key] = value;
        }

        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }
    }

    public string DataDirectory { get; }

    /// <summary>Runs a scalar query (portable SQL, no parameters) on the hub's store, whichever engine it is on.</summary>
    public async Task<long> CountAsync(string sql)
    {
        if (_settings.GetValueOrDefault("Storage:Engine") == "postgres")
        {
            await using var pg = new Npgsql.NpgsqlConnection(_settings["ConnectionStrings:AlertHub"]);
            await pg.OpenAsync();
            await using var query = new Npgsql.NpgsqlCommand(sql, pg);
            return Convert.ToInt64(await query.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(DataDirectory, "alerthub.db")}");
        await sqlite.OpenAsync();
        await using var cmd = sqlite.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string NewDataDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "alerthub-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_services is not null)
        {
            builder.ConfigureServices(_services);
        }
    }

    public HttpClient Admin() => WithKey(AdminKey);

    public HttpClient WithKey(string? key)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        return client;
    }

    public async Task<string> CreateKeyAsync(string role)
    {
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync("/api/keys", new { name = $"{role}-{Guid.NewGuid():N}", role });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    }

    /// <summary>Waits until /health says ready (the store and workers start in the background).</summary>
    public async Task WaitReadyAsync()
    {
        using var client = CreateClient();
        for (var i = 0; i < 200; i++)
        {
            if ((await client.GetAsync("/health")).IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("hub did not become ready");
    }

    /// <summary>With a staff key, a connection to the staff hub (<c>/hubs/staff</c>); without, to the residents' hub (<c>/hubs/alerts</c>).</summary>
    public HubConnection SignalR(string? apiKey = null) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(Server.BaseAddress, apiKey is null ? "/hubs/alerts" : "/hubs/staff"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => Server.CreateHandler();
                if (apiKey is not null)
                {
                    o.Headers["X-Api-Key"] = apiKey;
                }
            })
            .Build();

    /// <summary>A resident's SignalR client, subscribed, collecting the <c>alert</c> messages it receives.</summary>
    internal async Task<HubConnection> ConnectResidentAsync(Registered resident, List<Features.JsonElementMessage> sink)
    {
        var connection = SignalR();
        connection.On<Features.JsonElementMessage>("alert", m => { lock (sink) { sink.Add(m); } });
        await connection.StartAsync();
        Assert.True(await connection.InvokeAsync<bool>("Subscribe", resident.Id.ToString(), resident.Token));
        return connection;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsDirectory)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

internal static class HttpJson
{
    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    /// <summary>Asserts a ProblemDetails with the given status and stable code, returning it.</summary>
    public static async Task<JsonNode> AssertProblemAsync(this HttpResponseMessage response, int status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString() ?? "");
        var json = JsonNode.Parse(body)!;
        Assert.Equal(code, json["code"]?.GetValue<string>());
        return json;
    }

    public static StringContent Raw(string json, string mediaType = "application/json") => new(json, System.Text.Encoding.UTF8, mediaType);

    public static readonly JsonSerializerOptions Options = Json.Options;
}
