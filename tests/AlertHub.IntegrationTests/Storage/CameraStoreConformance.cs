using AlertHub.Core.Storage;
using AlertHub.Server.Features.Storage;
using AlertHub.Server.Features.Storage.Sqlite;
using AlertHub.Storage.Postgres.Stores;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>What every engine's <see cref="ICameraStore"/> does, written once; each engine below runs it.</summary>
public abstract class CameraStoreConformance : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 3, 14, 15, 926, TimeSpan.FromHours(9));

    private protected TestStores Stores { get; } = new();

    /// <summary>The hub's key ring, as the host has it.</summary>
    private readonly ISecretProtector _secrets = Protector();

    private ICameraStore Store { get; set; } = null!;

    /// <summary>Creates the engine's database; <see cref="NewStore"/> then opens stores on it.</summary>
    private protected abstract Task InitializeEngineAsync();

    private protected abstract ICameraStore NewStore(ISecretProtector secrets);

    /// <summary>Every non-null value of every row <paramref name="sql"/> returns, as text, read past the store.</summary>
    private protected abstract Task<IReadOnlyList<string>> RawValuesAsync(string sql);

    /// <summary>Runs <paramref name="sql"/> past the store.</summary>
    private protected abstract Task RawExecuteAsync(string sql);

    public async Task InitializeAsync()
    {
        await InitializeEngineAsync();
        Store = NewStore(_secrets);
    }

    private static ISecretProtector Protector() =>
        new DataProtectionSecretProtector(new EphemeralDataProtectionProvider(), NullLogger<DataProtectionSecretProtector>.Instance);

    public async Task DisposeAsync() => await Stores.DisposeAsync();

    private static CameraRecord Camera(string id, string name = "雄物川 大曲橋", DateTimeOffset? at = null) =>
        new(id, name, "rtsp", "rtsp://192.0.2.10:554/stream1", 39.4531, 140.4762, "雄物川", "大曲", 135.5, 62.25, 60, true, "unknown", null, null, null,
            at ?? At);

    [StoreFact]
    public async Task Save_NewCamera_ReadsBackEveryFieldWithStatusUnknown()
    {
        var camera = Camera("cam-1");

        await Store.SaveAsync(camera, null, isNew: true, CancellationToken.None);

        var read = await Store.GetAsync("cam-1", CancellationToken.None);
        Assert.Equal(camera, read);
        Assert.Equal(At, read!.UpdatedAt);
        Assert.Null(await Store.GetAsync("nope", CancellationToken.None));
    }

    [StoreFact]
    public async Task Save_OptionalFieldsAbsent_StayAbsent()
    {
        var camera = new CameraRecord("still", "定点カメラ", "jpeg-poll", "", -33.5, -70.25, null, null, null, null, 300, false, "unknown", null, null, null, At);

        await Store.SaveAsync(camera, null, isNew: true, CancellationToken.None);

        Assert.Equal(camera, await Store.GetAsync("still", CancellationToken.None));
    }

    [StoreFact]
    public async Task Save_Existing_ChangesTheEditableFieldsAndKeepsStatusAndImages()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);
        await Store.RecordStatusAsync("cam-1", "online", "unknown", At.AddMinutes(1), null, CancellationToken.None);
        await Store.SetLastImageAsync("cam-1", At.AddMinutes(2), CancellationToken.None);
        await Store.AddSnapshotAsync("snap-1", "cam-1", At.AddMinutes(2), 1234, "rtsp", CancellationToken.None);
        await Store.SetNormalDayAsync("cam-1", "snap-1", CancellationToken.None);
        var changed = new CameraRecord("cam-1", "玉川 新橋", "hls", "https://cams.example.jp/tamagawa.m3u8", 39.6, 140.5, null, "角館", null, null, 30,
            false, "ignored", null, null, null, At.AddHours(1));

        await Store.SaveAsync(changed, null, isNew: false, CancellationToken.None);

        var read = await Store.GetAsync("cam-1", CancellationToken.None);
        Assert.Equal(changed with { Status = "online", StatusSince = At.AddMinutes(1), LastImageAt = At.AddMinutes(2), NormalDaySnapshotId = "snap-1" }, read);
    }

    [StoreFact]
    public async Task Save_NewWithAnIdThatExists_Throws()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);

        await Assert.ThrowsAnyAsync<Exception>(() => Store.SaveAsync(Camera("cam-1", "other"), null, isNew: true, CancellationToken.None));

        Assert.Equal("雄物川 大曲橋", (await Store.GetAsync("cam-1", CancellationToken.None))!.Name);
    }

    [StoreFact]
    public async Task List_OrdersByNameThenId()
    {
        foreach (var (id, name) in new[] { ("b", "大曲"), ("c", "角館"), ("a", "大曲"), ("d", "Akita Port") })
        {
            await Store.SaveAsync(Camera(id, name), null, isNew: true, CancellationToken.None);
        }

        var list = await Store.ListAsync(CancellationToken.None);

        // Code-point order on both engines: ASCII first, then kanji by code point (大 U+5927 before 角 U+89D2); equal names by id.
        Assert.Equal(["d", "a", "b", "c"], list.Select(c => c.Id));
    }

    [StoreFact]
    public async Task Credentials_SavedWithTheCamera_AreReadOnlyByTheirOwnMethods()
    {
        const string password = "p@ss:w/rd 秘密";
        await Store.SaveAsync(Camera("cam-1"), new CameraCredentials("operator", password), isNew: true, CancellationToken.None);
        await Store.SaveAsync(Camera("cam-2"), null, isNew: true, CancellationToken.None);

        Assert.Equal(new CameraCredentials("operator", password), await Store.GetCredentialsAsync("cam-1", CancellationToken.None));
        Assert.Null(await Store.GetCredentialsAsync("cam-2", CancellationToken.None));
        Assert.Equal(["cam-1"], await Store.IdsWithCredentialsAsync(CancellationToken.None));
        // Kept apart from the camera rows, so that no listing of cameras can carry them.
        var values = await RawValuesAsync("SELECT * FROM cameras");
        Assert.NotEmpty(values);
        Assert.DoesNotContain(values, v => v.Contains(password, StringComparison.Ordinal) || v == "operator");
    }

    [StoreFact]
    public async Task Credentials_StoredPassword_IsNotThePlainSecret()
    {
        const string password = "kawa-cam-2026!";
        await Store.SaveAsync(Camera("cam-1"), new CameraCredentials("operator", password), isNew: true, CancellationToken.None);
        await Store.SaveAsync(Camera("cam-2"), new CameraCredentials("operator", password), isNew: true, CancellationToken.None);

        var stored = await RawValuesAsync("SELECT password FROM camera_credentials ORDER BY camera_id");

        Assert.Equal(2, stored.Count);
        Assert.All(stored, s => Assert.DoesNotContain(password, s, StringComparison.Ordinal));
        Assert.All(stored, s => Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(password)), s, StringComparison.Ordinal));
        Assert.NotEqual(stored[0], stored[1]);
        Assert.Equal(password, (await Store.GetCredentialsAsync("cam-2", CancellationToken.None))!.Password);
    }

    [StoreFact]
    public async Task Credentials_StoredBeforeTheyWereProtected_StillRead()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);
        await RawExecuteAsync("INSERT INTO camera_credentials(camera_id, username, password) VALUES ('cam-1', 'operator', 'plain-old')");

        Assert.Equal(new CameraCredentials("operator", "plain-old"), await Store.GetCredentialsAsync("cam-1", CancellationToken.None));
    }

    [StoreFact]
    public async Task ProtectLegacyCredentials_EncryptsOnlyPlainPasswords_Once()
    {
        await Store.SaveAsync(Camera("old"), null, isNew: true, CancellationToken.None);
        await Store.SaveAsync(Camera("new"), new CameraCredentials("operator", "already-protected"), isNew: true, CancellationToken.None);
        await RawExecuteAsync("INSERT INTO camera_credentials(camera_id, username, password) VALUES ('old', 'operator', 'plain-old')");
        var before = await RawValuesAsync("SELECT password FROM camera_credentials WHERE camera_id = 'new'");

        Assert.Equal(1, await Store.ProtectLegacyCredentialsAsync(CancellationToken.None));
        Assert.Equal(0, await Store.ProtectLegacyCredentialsAsync(CancellationToken.None));

        Assert.DoesNotContain("plain-old", Assert.Single(await RawValuesAsync("SELECT password FROM camera_credentials WHERE camera_id = 'old'")),
            StringComparison.Ordinal);
        Assert.Equal(before, await RawValuesAsync("SELECT password FROM camera_credentials WHERE camera_id = 'new'"));
        Assert.Equal(new CameraCredentials("operator", "plain-old"), await Store.GetCredentialsAsync("old", CancellationToken.None));
        Assert.Equal("already-protected", (await Store.GetCredentialsAsync("new", CancellationToken.None))!.Password);
    }

    [StoreFact]
    public async Task Credentials_ProtectedWithAnotherKeyRing_ReadAsAbsentInsteadOfFailing()
    {
        await Store.SaveAsync(Camera("cam-1"), new CameraCredentials("operator", "secret"), isNew: true, CancellationToken.None);

        var elsewhere = NewStore(Protector());

        Assert.Null(await elsewhere.GetCredentialsAsync("cam-1", CancellationToken.None));
        Assert.Equal("secret", (await Store.GetCredentialsAsync("cam-1", CancellationToken.None))!.Password);
    }

    [StoreFact]
    public async Task Credentials_NullKeepsThem_NewOnesReplaceThem_EmptyUsernameRemovesThem()
    {
        await Store.SaveAsync(Camera("cam-1"), new CameraCredentials("operator", "one"), isNew: true, CancellationToken.None);

        await Store.SaveAsync(Camera("cam-1", "renamed"), null, isNew: false, CancellationToken.None);
        Assert.Equal(new CameraCredentials("operator", "one"), await Store.GetCredentialsAsync("cam-1", CancellationToken.None));

        await Store.SaveAsync(Camera("cam-1"), new CameraCredentials("admin", "two"), isNew: false, CancellationToken.None);
        Assert.Equal(new CameraCredentials("admin", "two"), await Store.GetCredentialsAsync("cam-1", CancellationToken.None));

        await Store.SaveAsync(Camera("cam-1"), new CameraCredentials("", ""), isNew: false, CancellationToken.None);
        Assert.Null(await Store.GetCredentialsAsync("cam-1", CancellationToken.None));
        Assert.Empty(await Store.IdsWithCredentialsAsync(CancellationToken.None));
    }

    [StoreFact]
    public async Task Delete_RemovesTheCameraWithItsCredentialsSnapshotsAndTimeline()
    {
        await Store.SaveAsync(Camera("gone"), new CameraCredentials("operator", "secret"), isNew: true, CancellationToken.None);
        await Store.SaveAsync(Camera("keep"), new CameraCredentials("operator", "other"), isNew: true, CancellationToken.None);
        foreach (var id in new[] { "gone", "keep" })
        {
            await Store.RecordStatusAsync(id, "online", "unknown", At, null, CancellationToken.None);
            await Store.AddSnapshotAsync($"{id}-snap", id, At, 10, "rtsp", CancellationToken.None);
        }

        Assert.True(await Store.DeleteAsync("gone", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("gone", CancellationToken.None));

        Assert.Null(await Store.GetAsync("gone", CancellationToken.None));
        Assert.Null(await Store.GetCredentialsAsync("gone", CancellationToken.None));
        Assert.Null(await Store.FindSnapshotAsync("gone-snap", CancellationToken.None));
        Assert.Empty(await Store.TimelineAsync("gone", 10, CancellationToken.None));
        // A camera registered again under the id starts clean.
        await Store.SaveAsync(Camera("gone"), null, isNew: true, CancellationToken.None);
        Assert.Null(await Store.GetCredentialsAsync("gone", CancellationToken.None));
        Assert.Empty(await Store.TimelineAsync("gone", 10, CancellationToken.None));
        Assert.Equal(["keep"], await Store.IdsWithCredentialsAsync(CancellationToken.None));
        Assert.NotNull(await Store.FindSnapshotAsync("keep-snap", CancellationToken.None));
        Assert.Single(await Store.TimelineAsync("keep", 10, CancellationToken.None));
    }

    [StoreFact]
    public async Task RecordStatus_SetsTheStatusAndAppendsToTheTimeline_AndIgnoresAnUnknownCamera()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);

        await Store.RecordStatusAsync("cam-1", "online", "unknown", At.AddMinutes(1), null, CancellationToken.None);
        await Store.RecordStatusAsync("cam-1", "frozen", "online", At.AddMinutes(2), "同じ画像が10分続いています", CancellationToken.None);
        await Store.RecordStatusAsync("nope", "offline", "online", At, "x", CancellationToken.None);

        var camera = (await Store.GetAsync("cam-1", CancellationToken.None))!;
        Assert.Equal("frozen", camera.Status);
        Assert.Equal(At.AddMinutes(2), camera.StatusSince);
        Assert.Equal(
            [new TimelineEntry(At.AddMinutes(1), "online", "unknown", null), new TimelineEntry(At.AddMinutes(2), "frozen", "online", "同じ画像が10分続いています")],
            await Store.TimelineAsync("cam-1", 10, CancellationToken.None));
        Assert.Empty(await Store.TimelineAsync("nope", 10, CancellationToken.None));
    }

    [StoreFact]
    public async Task Timeline_WithALimit_ReturnsTheNewestInTheOrderRecorded()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);
        // Recorded out of time order (a late report): the timeline keeps the order of recording.
        var ats = new[] { 0, 5, 3, 9, 7 }.Select(m => At.AddMinutes(m)).ToArray();
        for (var i = 0; i < ats.Length; i++)
        {
            await Store.RecordStatusAsync("cam-1", $"s{i}", $"s{i - 1}", ats[i], null, CancellationToken.None);
        }

        var newest = await Store.TimelineAsync("cam-1", 3, CancellationToken.None);

        Assert.Equal(["s2", "s3", "s4"], newest.Select(e => e.Status));
        Assert.Equal(ats[2..], newest.Select(e => e.At));
    }

    [StoreFact]
    public async Task SetLastImage_ReadsBack()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);

        await Store.SetLastImageAsync("cam-1", At.AddSeconds(30), CancellationToken.None);

        Assert.Equal(At.AddSeconds(30), (await Store.GetAsync("cam-1", CancellationToken.None))!.LastImageAt);
    }

    [StoreFact]
    public async Task Snapshots_BoundsAndLimit_OldestFirstFromTheLowerBound_OrNewestWithoutOne()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);
        await Store.SaveAsync(Camera("cam-2"), null, isNew: true, CancellationToken.None);
        // Added out of order; one at the same minute on another camera.
        foreach (var m in new[] { 30, 0, 10, 50, 20, 40 })
        {
            await Store.AddSnapshotAsync($"s{m:00}", "cam-1", At.AddMinutes(m), 1000 + m, "rtsp", CancellationToken.None);
        }

        await Store.AddSnapshotAsync("other", "cam-2", At.AddMinutes(20), 1, "push", CancellationToken.None);

        Assert.Equal(["s00", "s10", "s20", "s30", "s40", "s50"], Ids(await Store.SnapshotsAsync("cam-1", null, null, 100, CancellationToken.None)));
        Assert.Equal(["s30", "s40", "s50"], Ids(await Store.SnapshotsAsync("cam-1", null, null, 3, CancellationToken.None)));
        Assert.Equal(["s10", "s20"], Ids(await Store.SnapshotsAsync("cam-1", null, At.AddMinutes(20), 2, CancellationToken.None)));
        Assert.Equal(["s20", "s30"], Ids(await Store.SnapshotsAsync("cam-1", At.AddMinutes(20), null, 2, CancellationToken.None)));
        Assert.Equal(["s10", "s20", "s30"], Ids(await Store.SnapshotsAsync("cam-1", At.AddMinutes(10), At.AddMinutes(30), 100, CancellationToken.None)));
        Assert.Empty(await Store.SnapshotsAsync("cam-1", At.AddMinutes(51), null, 100, CancellationToken.None));
        var read = await Store.SnapshotsAsync("cam-1", At.AddMinutes(50), null, 1, CancellationToken.None);
        Assert.Equal(At.AddMinutes(50), Assert.Single(read).At);
    }

    [StoreFact]
    public async Task FindSnapshot_ReturnsItsCameraAndTime_OrNull()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);
        await Store.AddSnapshotAsync("snap-1", "cam-1", At, 5, "jpeg-poll", CancellationToken.None);

        var found = await Store.FindSnapshotAsync("snap-1", CancellationToken.None);

        Assert.Equal("cam-1", found!.Value.CameraId);
        Assert.Equal(At, found.Value.At);
        Assert.Null(await Store.FindSnapshotAsync("snap-2", CancellationToken.None));
    }

    [StoreFact]
    public async Task AddSnapshot_DuplicateId_Throws()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);
        await Store.AddSnapshotAsync("snap-1", "cam-1", At, 5, "rtsp", CancellationToken.None);

        await Assert.ThrowsAnyAsync<Exception>(() => Store.AddSnapshotAsync("snap-1", "cam-1", At.AddMinutes(1), 6, "rtsp", CancellationToken.None));
    }

    [StoreFact]
    public async Task PruneSnapshots_RemovesOlderOnesButNeverAPinnedNormalDayImage_AndReturnsThem()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);
        await Store.SaveAsync(Camera("cam-2"), null, isNew: true, CancellationToken.None);
        await Store.AddSnapshotAsync("old-1", "cam-1", At.AddDays(-8), 1, "rtsp", CancellationToken.None);
        await Store.AddSnapshotAsync("pinned", "cam-1", At.AddDays(-9), 1, "rtsp", CancellationToken.None);
        await Store.AddSnapshotAsync("old-2", "cam-2", At.AddDays(-7).AddMilliseconds(-1), 1, "rtsp", CancellationToken.None);
        await Store.AddSnapshotAsync("edge", "cam-2", At.AddDays(-7), 1, "rtsp", CancellationToken.None);
        await Store.AddSnapshotAsync("new", "cam-2", At, 1, "rtsp", CancellationToken.None);
        await Store.SetNormalDayAsync("cam-1", "pinned", CancellationToken.None);

        var removed = await Store.PruneSnapshotsAsync(At.AddDays(-7), CancellationToken.None);

        Assert.Equal([("old-1", "cam-1"), ("old-2", "cam-2")], removed.OrderBy(r => r.Id, StringComparer.Ordinal));
        Assert.Equal(["pinned"], Ids(await Store.SnapshotsAsync("cam-1", null, null, 10, CancellationToken.None)));
        Assert.Equal(["edge", "new"], Ids(await Store.SnapshotsAsync("cam-2", null, null, 10, CancellationToken.None)));
        Assert.Equal("pinned", (await Store.GetAsync("cam-1", CancellationToken.None))!.NormalDaySnapshotId);
        Assert.Empty(await Store.PruneSnapshotsAsync(At.AddDays(-7), CancellationToken.None));
    }

    [StoreFact]
    public async Task RecordStatus_ConcurrentTransitions_EachLandsOnceInTheTimeline()
    {
        await Store.SaveAsync(Camera("cam-1"), null, isNew: true, CancellationToken.None);

        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            Store.RecordStatusAsync("cam-1", $"s{i}", "x", At.AddSeconds(i), null, CancellationToken.None))));

        var timeline = await Store.TimelineAsync("cam-1", 100, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"s{i}").Order(StringComparer.Ordinal), timeline.Select(e => e.Status).Order(StringComparer.Ordinal));
        // The camera's status is the one recorded last.
        Assert.Equal(timeline[^1].Status, (await Store.GetAsync("cam-1", CancellationToken.None))!.Status);
    }

    private static string[] Ids(IReadOnlyList<(string Id, DateTimeOffset At)> list) => [.. list.Select(s => s.Id)];
}

public sealed class SqliteCameraStoreTests : CameraStoreConformance
{
    private Database _database = null!;

    private protected override async Task InitializeEngineAsync() => _database = await Stores.SqliteAsync();

    private protected override ICameraStore NewStore(ISecretProtector secrets) => new SqliteCameraStore(_database, secrets);

    private protected override async Task<IReadOnlyList<string>> RawValuesAsync(string sql)
    {
        await using var connection = await _database.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return await StoreRows.AllValuesAsync(cmd);
    }

    private protected override async Task RawExecuteAsync(string sql)
    {
        await using var connection = await _database.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }
}

[PostgresEngine]
public sealed class PostgresCameraStoreTests : CameraStoreConformance
{
    private NpgsqlDataSource _dataSource = null!;

    private protected override async Task InitializeEngineAsync() => _dataSource = await Stores.PostgresAsync();

    private protected override ICameraStore NewStore(ISecretProtector secrets) => new PostgresCameraStore(_dataSource, secrets);

    private protected override async Task<IReadOnlyList<string>> RawValuesAsync(string sql)
    {
        await using var cmd = _dataSource.CreateCommand(sql);
        return await StoreRows.AllValuesAsync(cmd);
    }

    private protected override async Task RawExecuteAsync(string sql)
    {
        await using var cmd = _dataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>Reads a table past its store, for tests that check what is stored rather than what the store answers.</summary>
internal static class StoreRows
{
    /// <summary>Every non-null value of every row the command returns, as invariant text.</summary>
    public static async Task<IReadOnlyList<string>> AllValuesAsync(System.Data.Common.DbCommand cmd)
    {
        await using var reader = await cmd.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (!reader.IsDBNull(i))
                {
                    values.Add(Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "");
                }
            }
        }

        return values;
    }
}
