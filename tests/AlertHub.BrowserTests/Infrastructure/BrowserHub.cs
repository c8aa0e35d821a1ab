using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlertHub.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AlertHub.BrowserTests.Infrastructure;

/// <summary>
/// The real hub listening on 127.0.0.1 (Kestrel, a free port, its own SQLite file) with no base map tiles,
/// and one headless Debian Chromium driven by Playwright. Shared by the browser tests in one collection;
/// each test opens its own browser context (own cookies and localStorage).
/// </summary>
public sealed class BrowserHub : IAsyncLifetime, IAsyncDisposable
{
    public const string AdminKey = "browser-test-admin-key-0123456789";
    public const string Password = "correct horse battery staple 7";

    private readonly Dictionary<string, string?> _extraSettings;
    private HubApp? _app;
    private IPlaywright? _playwright;

    public BrowserHub()
        : this(null)
    {
    }

    private BrowserHub(Dictionary<string, string?>? extraSettings)
    {
        _extraSettings = extraSettings ?? [];
    }

    /// <summary>A hub of its own with more settings (e.g. a channel the shared hub does not run), for one test; dispose it.</summary>
    public static async Task<BrowserHub> StartAsync(Dictionary<string, string?> settings)
    {
        var hub = new BrowserHub(settings);
        await hub.InitializeAsync();
        return hub;
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The hub's services, for a test that must put the hub in a state no request can (a database failing over).</summary>
    public IServiceProvider Services => _app!.Services;

    public GatedWebhookReceiver Webhooks { get; } = new();

    /// <summary>Screenshots of each main screen land here (printed by the tests).</summary>
    public static string ArtifactsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts");

    public static string? ChromiumPath =>
        new[] { Environment.GetEnvironmentVariable("CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ArtifactsDirectory);
        await Webhooks.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Dashboard:TileUrl"] = "",
            ["Channels:Webhook:MaxBatchSize"] = "25",
            ["Channels:Webhook:MaxConcurrency"] = "4",
        };
        foreach (var (key, value) in _extraSettings)
        {
            settings[key] = value;
        }

        _app = new HubApp(settings);
        _app.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app.StartServer();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First());
        await WaitReadyAsync();

        if (ChromiumPath is null)
        {
            return; // the browser tests are [ToolFact("chromium")]: skipped locally, failing under CI
        }

        // CI runs this suite beside the integration tests on two cores: expectations wait longer than Playwright's 5 s.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--lang=ja-JP"],
        });
    }

    public HttpClient Admin()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A staff user who signs in with a password (POST /api/staff/users, admin).</summary>
    public async Task<string> CreateStaffUserAsync(string role)
    {
        var username = $"{role}-{Guid.NewGuid():N}"[..16];
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync("/api/staff/users", new { username, displayName = $"{role} テスト", roles = new[] { role }, password = Password, disabled = false });
        Assert.True(response.IsSuccessStatusCode, $"creating staff user: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return username;
    }

    public async Task<string> AddAreaAsync(string name, string kind, double lat, double lon, double half)
    {
        using var admin = Admin();
        var ring = new[] { new[] { lon - half, lat - half }, new[] { lon + half, lat - half }, new[] { lon + half, lat + half }, new[] { lon - half, lat + half }, new[] { lon - half, lat - half } };
        var response = await admin.PostAsJsonAsync("/api/areas", new { type = "Feature", properties = new { name, kind }, geometry = new { type = "Polygon", coordinates = new[] { ring } } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())![0]!["id"]!.GetValue<string>();
    }

    public async Task<IBrowserContext> NewContextAsync(int width = 1280, int height = 900, float scale = 1)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            DeviceScaleFactor = scale,
            Locale = "ja-JP",
            TimezoneId = "Asia/Tokyo",
        });
        context.SetDefaultTimeout(15_000);
        // Nothing but the hub: a request anywhere else (tiles, fonts, CDNs) fails the page instead of leaving the machine.
        await context.RouteAsync(url => !url.StartsWith(BaseAddress.ToString(), StringComparison.Ordinal) && !url.StartsWith("data:", StringComparison.Ordinal) && !url.StartsWith("blob:", StringComparison.Ordinal),
            route => route.AbortAsync());
        return context;
    }

    public static async Task<string> ScreenshotAsync(IPage page, string name, ITestOutputHelper output)
    {
        var path = Path.Combine(ArtifactsDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
        return path;
    }

    private async Task WaitReadyAsync()
    {
        using var client = Anonymous();
        for (var i = 0; i < 200; i++)
        {
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("hub did not become ready");
    }

    public async Task DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await Webhooks.DisposeAsync();
    }

    private sealed class HubApp(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "alerthub-browser-tests", Guid.NewGuid().ToString("N"));

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            Directory.CreateDirectory(_dataDirectory);
            builder.UseEnvironment("Development");
            builder.UseSetting("Storage:DataDirectory", _dataDirectory);
            builder.UseSetting("Auth:BootstrapAdminKey", AdminKey);
            builder.UseSetting("Residents:RegistrationsPerMinutePerClient", "0");
            builder.UseSetting("Areas:LoadDemoAreas", "false");
            builder.UseSetting("Delivery:PollInterval", "00:00:00.200");
            builder.UseSetting("Delivery:RetryBaseDelay", "00:00:00.200");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserHub>
{
    public const string Name = "browser";
}
