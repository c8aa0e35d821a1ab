using System.Text.Json.Nodes;
using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="IRuleSetStore"/> does, written once; each engine below runs it.</summary>
public abstract class RuleSetStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 0, 0, TimeSpan.Zero);

    private protected TestStores Stores { get; } = new();

    private IRuleSetStore Store { get; set; } = null!;

    private protected abstract Task<IRuleSetStore> CreateAsync();

    public async Task InitializeAsync() => Store = await CreateAsync();

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    [StoreFact]
    public async Task Get_NothingSaved_IsNull()
    {
        Assert.Null(await Store.GetJsonAsync(CancellationToken.None));
    }

    [StoreFact]
    public async Task Save_TwiceReplacesTheSet_AndReadsBackTheSameDocument()
    {
        const string first = """[{"name":"old","families":["JMA:VXSE53"]}]""";
        const string second = """[{"name":"震度4以上","families":["JMA:VXSE53"],"minIntensity":"4","templates":{"ja":{"headline":"{area}で震度{intensity}"}},"mode":"draft"}]""";

        await Store.SaveJsonAsync(first, At, "tanaka", CancellationToken.None);
        await Store.SaveJsonAsync(second, At.AddMinutes(1), "sato", CancellationToken.None);

        // Equal as JSON: an engine may keep the document in its own form (jsonb orders keys and drops whitespace).
        var read = await Store.GetJsonAsync(CancellationToken.None);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(second), JsonNode.Parse(read!)), read);
    }
}

public sealed class SqliteRuleSetStoreTests : RuleSetStoreConformance
{
    private protected override async Task<IRuleSetStore> CreateAsync() => new SqliteRuleSetStore(await Stores.SqliteAsync());
}

[PostgresEngine]
public sealed class PostgresRuleSetStoreTests : RuleSetStoreConformance
{
    private protected override async Task<IRuleSetStore> CreateAsync() => new PostgresRuleSetStore(await Stores.PostgresAsync());
}
