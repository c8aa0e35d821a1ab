using AlertHub.IntegrationTests.Infrastructure;
using AlertHub.Tests.Shared;

namespace AlertHub.IntegrationTests.Features.Feeds;

/// <summary>
/// <c>GET /api/events?code=</c> with real telegrams: 横手市 in all three of its code forms, and 320, which is 群馬県北部 in
/// the VXSE53 (地震情報／細分区域) and 伊豆諸島 in the VTSE41 (津波予報区).
/// </summary>
public sealed class EventCodeSearchTests : IAsyncLifetime
{
    private readonly HubFactory _hub = new();
    private HttpClient _admin = null!;
    private string _quake = null!;
    private string _tsunami = null!;

    public async Task InitializeAsync()
    {
        await _hub.WaitReadyAsync();
        _admin = _hub.Admin();
        if (SharedData.Root is null)
        {
            return;
        }

        _quake = await PushAsync("32-35_06_03_240613_VXSE53.xml");
        _tsunami = await PushAsync("20220918154907_08013775_VTSE41.xml");
    }

    public Task DisposeAsync()
    {
        _admin.Dispose();
        _hub.Dispose();
        return Task.CompletedTask;
    }

    [SharedDataFact]
    public async Task Code_EveryFormOfYokote_FindsTheQuake()
    {
        foreach (var code in new[] { "05203", "052035", "0520300" })
        {
            Assert.Equal([_quake], await FindAsync($"code={code}"));
        }
    }

    [SharedDataFact]
    public async Task Code_ShortCodeOfTwoSchemes_IsResolvedByItsScheme()
    {
        Assert.Equal([_tsunami], await FindAsync("code=320&scheme=jma-tsunami"));
        Assert.Equal([_quake], await FindAsync("code=320&scheme=jma-seismic"));
        Assert.Equal([_quake], await FindAsync("code=jma-seismic:320"));
        Assert.Equal([_tsunami], await FindAsync("code=jma-tsunami:320"));

        await (await _admin.GetAsync("/api/events?code=320")).AssertProblemAsync(400, "feeds.code_ambiguous");
    }

    [SharedDataFact]
    public async Task Code_ForecastAreaAndUnknownForms_AreNotMistakenForACity()
    {
        Assert.Empty(await FindAsync("code=050022")); // 仙北平鹿地域: 6 digits, but a forecast area, not a JIS code
        Assert.Empty(await FindAsync("code=052036")); // a wrong check digit is no city
        await (await _admin.GetAsync("/api/events?code=1234")).AssertProblemAsync(400, "feeds.code_invalid");
    }

    private async Task<string[]> FindAsync(string query) =>
        [.. (await (await _admin.GetAsync("/api/events?" + query)).JsonAsync()).AsArray().Select(e => e!["id"]!.GetValue<string>())];

    private async Task<string> PushAsync(string file)
    {
        var response = await _admin.PostAsync("/api/feeds/jma", new ByteArrayContent(await File.ReadAllBytesAsync(SharedData.Path("fixtures", "feeds", "jma", file)!)));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync())["eventId"]!.GetValue<string>();
    }
}
