using System.Net;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Security;

/// <summary>
/// <c>GET /api/dashboard/places</c> is anonymous because the resident page searches 町字 names with it. It lists the
/// districts and nothing else: the flood zones, landslide zones and custom areas staff draw are their working data.
/// </summary>
public sealed class PublicPlacesTests : IDisposable
{
    private readonly HubFactory _hub = new();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Places_ForAnAnonymousCaller_ListDistrictsOnly_NeverTheFloodOrCustomAreasStaffCreated()
    {
        using var admin = _hub.Admin();
        await Api.AddAreaAsync(admin, "浅舞", Api.Square(39.25, 140.40, 0.01), "district");
        await Api.AddAreaAsync(admin, "横手川 浸水想定区域", Api.Square(39.25, 140.40, 0.02), "flood");
        await Api.AddAreaAsync(admin, "県道沿い 通行止め検討区域", Api.Square(39.26, 140.41, 0.005), "custom");
        await Api.AddAreaAsync(admin, "旭岡山 土砂災害警戒区域", Api.Square(39.30, 140.58, 0.005), "landslide");
        using var anonymous = _hub.CreateClient();

        var places = (await (await anonymous.GetAsync("/api/dashboard/places")).JsonAsync()).AsArray();

        var place = Assert.Single(places);
        Assert.Equal("浅舞", place!["name"]!.GetValue<string>());
        Assert.Equal("district", place["kind"]!.GetValue<string>());
        Assert.InRange(place["lat"]!.GetValue<double>(), 39.24, 39.26);
        Assert.Null(place["geometry"]);
        Assert.Single((await (await anonymous.GetAsync("/api/dashboard/places?kind=district")).JsonAsync()).AsArray());
    }

    [Theory]
    [InlineData("flood")]
    [InlineData("custom")]
    [InlineData("landslide")]
    [InlineData("shelter-zone")]
    [InlineData("no-such-kind")]
    public async Task Places_OfAKindThatIsNotPublic_AreRefusedWithAStableCode_AndNothingListed(string kind)
    {
        using var admin = _hub.Admin();
        await Api.AddAreaAsync(admin, "横手川 浸水想定区域", Api.Square(39.25, 140.40, 0.02), "flood");
        await Api.AddAreaAsync(admin, "県道沿い 通行止め検討区域", Api.Square(39.26, 140.41, 0.005), "custom");
        using var anonymous = _hub.CreateClient();

        using var response = await anonymous.GetAsync($"/api/dashboard/places?kind={Uri.EscapeDataString(kind)}");

        var problem = await response.AssertProblemAsync(400, "dashboard.place_kind_not_public");
        Assert.DoesNotContain("浸水想定区域", problem.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("通行止め", problem.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Areas_OfEveryKind_StayReadableByStaff()
    {
        using var admin = _hub.Admin();
        await Api.AddAreaAsync(admin, "横手川 浸水想定区域", Api.Square(39.25, 140.40, 0.02), "flood");
        using var viewer = _hub.WithKey(await _hub.CreateKeyAsync("viewer"));
        using var anonymous = _hub.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/areas?kind=flood")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/areas?kind=flood")).StatusCode);
    }
}
