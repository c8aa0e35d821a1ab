using System.Text.Json;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IComposeTemplateStore"/> does, written once; each engine below runs it.</summary>
public abstract class ComposeTemplateStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    private IComposeTemplateStore Store { get; set; } = null!;

    private protected abstract Task<IComposeTemplateStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    private static ComposeTemplateRecord Template(string id, string name = "洪水（横手川）", string texts = """{"ja":{"headline":"氾濫"}}""") =>
        new(id, name, "洪水", "Severe", "Immediate", "Likely", texts, 0, At, "tanaka");

    private static string[] Languages(string textsJson) => [.. JsonDocument.Parse(textsJson).RootElement.EnumerateObject().Select(p => p.Name)];

    [StoreFact]
    public async Task List_FreshStore_HasTheFiveDefaultsInOrderWithTheirTexts()
    {
        var list = await Store.ListAsync(CancellationToken.None);

        Assert.Equal(["flood", "landslide", "earthquake", "heavy-rain", "evacuation"], list.Select(t => t.Id));
        Assert.Equal([10, 20, 30, 40, 50], list.Select(t => t.Sort));
        var evacuation = list[^1];
        Assert.Equal(("避難指示（警戒レベル4）", "避難指示", "Extreme", "Immediate", "Observed"),
            (evacuation.Name, evacuation.Event, evacuation.Severity, evacuation.Urgency, evacuation.Certainty));
        Assert.All(list, t => Assert.Equal(["ja", "ja-x-easy", "en"], Languages(t.TextsJson)));
        var texts = JsonDocument.Parse(evacuation.TextsJson).RootElement;
        Assert.Equal("【警戒レベル4】避難指示", texts.GetProperty("ja").GetProperty("headline").GetString());
        Assert.Equal("{area}の 人は、にげて ください。", texts.GetProperty("ja-x-easy").GetProperty("body").GetString());
        Assert.All(list, t => Assert.Equal((new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), "hub (default)"), (t.UpdatedAt, t.UpdatedBy)));
    }

    [StoreFact]
    public async Task Save_New_ReadsBackEveryFieldAtTheEndOfTheList()
    {
        const string texts = """{"en":{"headline":"River \"Yokote\" rising","body":null},"ja":{"headline":"横手川 増水","instruction":"高い所へ"}}""";

        var (sort, created) = await Store.SaveAsync(Template("flood-yokote", texts: texts), null, CancellationToken.None);

        Assert.True(created);
        Assert.Equal(60, sort);
        var read = (await Store.ListAsync(CancellationToken.None))[^1];
        Assert.Equal(Template("flood-yokote", texts: read.TextsJson) with { Sort = 60, UpdatedAt = read.UpdatedAt }, read);
        Assert.Equal(At, read.UpdatedAt);
        Assert.Equal(["en", "ja"], Languages(read.TextsJson));
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(texts).RootElement, JsonDocument.Parse(read.TextsJson).RootElement));
    }

    [StoreFact]
    public async Task Save_Existing_ReplacesItAndKeepsItsPlaceUnlessGivenOne()
    {
        var changed = Template("landslide", "土砂災害（改）") with { Severity = "Extreme", UpdatedBy = "sato", UpdatedAt = At.AddHours(1) };

        var (sort, created) = await Store.SaveAsync(changed, null, CancellationToken.None);

        Assert.False(created);
        Assert.Equal(20, sort);
        var read = (await Store.ListAsync(CancellationToken.None)).Single(t => t.Id == "landslide");
        Assert.Equal(changed with { Sort = 20, UpdatedAt = read.UpdatedAt }, read);
        Assert.Equal(At.AddHours(1), read.UpdatedAt);

        Assert.Equal((5, false), await Store.SaveAsync(changed, 5, CancellationToken.None));
        Assert.Equal("landslide", (await Store.ListAsync(CancellationToken.None))[0].Id);
    }

    [StoreFact]
    public async Task List_EqualSorts_OrderByNameInCodePointOrderThenId()
    {
        foreach (var (id, name) in new[] { ("z1", "十文字"), ("z2", "b"), ("z3", "B"), ("z4", "増田"), ("z0", "十文字") })
        {
            await Store.SaveAsync(Template(id, name), 100, CancellationToken.None);
        }

        var ids = (await Store.ListAsync(CancellationToken.None)).Where(t => t.Sort == 100).Select(t => t.Id);

        Assert.Equal(["z3", "z2", "z0", "z1", "z4"], ids);
    }

    [StoreFact]
    public async Task Save_ConcurrentCreatesOfOneId_ExactlyOneCreatesIt()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            Store.SaveAsync(Template("same", $"版{i}"), null, CancellationToken.None))));

        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => r.Sort).Distinct());
        Assert.Single(await Store.ListAsync(CancellationToken.None), t => t.Id == "same");
    }

    [StoreFact]
    public async Task Delete_RemovesOnlyThatTemplateAndSaysWhetherItExisted()
    {
        Assert.True(await Store.DeleteAsync("flood", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("flood", CancellationToken.None));

        Assert.Equal(["landslide", "earthquake", "heavy-rain", "evacuation"], (await Store.ListAsync(CancellationToken.None)).Select(t => t.Id));
    }
}

public sealed class SqliteComposeTemplateStoreTests : ComposeTemplateStoreConformance
{
    private protected override async Task<IComposeTemplateStore> CreateAsync() => new SqliteComposeTemplateStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresComposeTemplateStoreTests : ComposeTemplateStoreConformance
{
    private protected override async Task<IComposeTemplateStore> CreateAsync() => new PostgresComposeTemplateStore(await Stores.PostgresAsync());
}
