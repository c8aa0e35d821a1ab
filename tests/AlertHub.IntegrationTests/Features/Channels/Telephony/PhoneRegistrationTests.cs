using System.Net.Http.Json;
using AlertHub.IntegrationTests.Infrastructure;

namespace AlertHub.IntegrationTests.Features.Channels.Telephony;

public sealed class PhoneRegistrationTests
{
    [Fact]
    public async Task Register_JapaneseNumbers_AreStoredInE164()
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var client = h.Hub.CreateClient();
        var resident = await Api.RegisterAsync(client, 39.3, 140.55, endpoints:
            [new { channel = "voice", address = "０１８２－３２－２１１１" }, new { channel = "sms", address = "+81 90-1234-5678" }]);

        client.DefaultRequestHeaders.Authorization = new("Bearer", resident.Token);
        var view = await (await client.GetAsync($"/api/residents/{resident.Id}")).JsonAsync();

        Assert.Equal(["+81182322111", "+819012345678"], view["endpoints"]!.AsArray().Select(e => e!["address"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("voice", "182-32-2111", "residents.phone_invalid")]
    [InlineData("voice", "0570-000-000", "residents.phone_invalid")]
    [InlineData("sms", "0182-32-2111", "residents.phone_not_mobile")]
    [InlineData("sms", "050-1234-5678", "residents.phone_not_mobile")]
    public async Task Register_BadOrWrongKindOfNumber_Is400WithACode(string channel, string number, string code)
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var client = h.Hub.CreateClient();

        var response = await client.PostAsJsonAsync("/api/residents", new { endpoints = new[] { new { channel, address = number } } });

        await response.AssertProblemAsync(400, code);
    }

    [Fact]
    public async Task StaffEnteredHouseholdNumber_IsAddedAudited_AndCalled()
    {
        await using var h = await TelephonyHarness.StartAsync();
        using var admin = h.Hub.Admin();
        var issuerKey = await h.Hub.CreateKeyAsync("issuer");
        using var issuer = h.Hub.WithKey(issuerKey);
        using var viewer = h.Hub.WithKey(await h.Hub.CreateKeyAsync("viewer"));
        // A family member registered the parent with the resident page's location only; staff add the landline.
        var parent = await Api.RegisterAsync(h.Hub.CreateClient(), 39.3, 140.55, endpoints: [], householdTags: ["elderly"]);

        await (await viewer.PostAsJsonAsync($"/api/residents/{parent.Id}/phone-endpoints", new { channel = "voice", number = "0182-77-1234" })).AssertProblemAsync(403, "auth.forbidden");
        await (await issuer.PostAsJsonAsync($"/api/residents/{parent.Id}/phone-endpoints", new { channel = "voice", number = "77-1234" })).AssertProblemAsync(400, "residents.phone_invalid");
        await (await issuer.PostAsJsonAsync($"/api/residents/{Guid.NewGuid()}/phone-endpoints", new { channel = "voice", number = "0182-77-1234" })).AssertProblemAsync(404, "residents.not_found");
        var added = await issuer.PostAsJsonAsync($"/api/residents/{parent.Id}/phone-endpoints", new { channel = "voice", number = "0182-77-1234" });
        Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(("+81182771234", "landline"), ((await added.JsonAsync())["address"]!.GetValue<string>(), (await added.JsonAsync())["kind"]!.GetValue<string>()));

        await Api.IssueAsync(admin, new
        {
            status = "Exercise", @event = "洪水", severity = "Severe", urgency = "Immediate", certainty = "Likely",
            area = new { circles = new[] { new { lat = 39.3, lon = 140.55, radiusMeters = 500 } } }, channels = new[] { "voice" },
            texts = new Dictionary<string, object> { ["ja"] = new { headline = "横手川 氾濫危険", body = "避難してください。" } },
        });
        await h.WaitAsync(() => h.Voice.Calls.Any(c => c.To == "+81182771234"), "the call to the staff-entered number");
        var audit = await (await admin.GetAsync("/api/audit")).JsonAsync();
        Assert.Contains(audit.AsArray(), a => a!["action"]!.GetValue<string>() == "residents.phone.add" && a["detail"]!.GetValue<string>() == "voice …1234");
    }
}
