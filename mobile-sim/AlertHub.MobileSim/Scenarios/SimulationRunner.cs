using System.Text.Json.Nodes;
using AlertHub.MobileSim.Clients;
using AlertHub.MobileSim.DemoGeo;
using AlertHub.MobileSim.Peers;
using AlertHub.MobileSim.Population;
using AlertHub.MobileSim.Report;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlertHub.MobileSim.Scenarios;

/// <summary>
/// One end-to-end run: population → webhook receiver → bulk import → SignalR clients → the scenario (one Exercise
/// alert, or a feed telegram, or several alerts/versions) → wait → report. Callable in-process (integration tests)
/// as well as from the command line.
/// </summary>
internal sealed class SimulationRunner(SimulationOptions options, ILogger? logger = null)
{
    public const string DefaultAreaName = "横手（デモ）";

    /// <summary>The flood scenario's default area: the demo flood zone along the 横手川 through the city centre.</summary>
    public const string FloodAreaName = "横手川沿い 中心市街地 浸水想定（デモ）";

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public async Task<SimulationReport> RunAsync(CancellationToken cancellationToken)
    {
        var time = options.TimeProvider;
        var hub = options.Hub.AbsoluteUri.EndsWith('/') ? options.Hub : new Uri(options.Hub.AbsoluteUri + "/");

        var geoFile = options.GeoFile ?? DemoAreaSet.FindDefaultFile()
            ?? throw new FileNotFoundException($"Cannot find {DemoAreaSet.DefaultRelativePath} above {AppContext.BaseDirectory} or the working directory; pass --geo FILE.");
        var areas = DemoAreaSet.Load(geoFile);
        var population = PopulationGenerator.Generate(
            new PopulationOptions(options.Residents, options.Seed, options.SignalRShare, ChannelMix: options.ChannelMix,
                Kind: options.Population, TownsFile: options.TownsFile, MunicipalitiesFile: options.MunicipalitiesFile), areas);
        var peers = options.Peers.ToDictionary(p => p.Channel, StringComparer.Ordinal);
        var unserved = population.Select(r => r.Channel).Distinct()
            .Where(c => c != SimChannels.SignalR && c != SimChannels.Webhook && !peers.ContainsKey(c)).ToList();
        if (unserved.Count > 0)
        {
            throw new ArgumentException($"The channel mix names {string.Join(", ", unserved)} but no peer serves it (start the provider peers).");
        }
        SimLog.PopulationReady(_logger, population.Count, population.Count(r => r.PlacedOutsideCity), options.Seed);

        var receipts = options.Receipts ?? new ReceiptLog();
        await using var receiver = new WebhookReceiver(receipts, time, options.WebhookDelay);
        await using var pool = new SignalRResidentPool(receipts, time, _logger, options.HubHandler);
        using var api = new HubApiClient(hub, options.ApiKey, options.HubHandler);
        try
        {
            foreach (var r in population.Where(r => r.WebhookSecret is not null))
            {
                receiver.AddResident(r.ExternalId, r.WebhookSecret!);
            }

            await receiver.StartAsync(cancellationToken);
            SimLog.ReceiverStarted(_logger, receiver.BaseAddress);

            // Resolve the target before registering anyone: a missing area should fail fast and cheaply.
            var target = await ResolveTargetAsync(api, areas, cancellationToken);

            var (registered, rejected, rejectionSamples) = await ImportAsync(api, population, receiver.BaseAddress, peers, cancellationToken);
            if (options.Nodes.Count > 1)
            {
                // Imported on every node in turn: the alert is issued once every node's index has every resident.
                SimLog.IndexesInStep(_logger, (await api.WaitForIndexesInStepAsync(time, TimeSpan.FromSeconds(60), cancellationToken)).TotalMilliseconds);
            }

            var signalR = population
                .Where(r => r.Channel == SimChannels.SignalR && registered.ContainsKey(r.ExternalId))
                .Select(r => new SignalRResident(r.ExternalId, registered[r.ExternalId].Id, registered[r.ExternalId].Token))
                .ToList();
            IReadOnlyList<Uri> nodes = options.Nodes.Count > 1 ? [.. options.Nodes.Select(n => n.AbsoluteUri.EndsWith('/') ? n : new Uri(n.AbsoluteUri + "/"))] : [hub];
            await pool.ConnectAllAsync(nodes, signalR, options.ConnectParallelism, options.ConnectTimeout, options.OpenSignalRSocket, options.SignalRConnecting,
                cancellationToken);
            SimLog.SignalRReady(_logger, pool.Connected, pool.Failed, signalR.Count);

            var audience = options.Audience;
            var expectations = population
                .Where(r => registered.ContainsKey(r.ExternalId))
                .Select(r =>
                {
                    var placement = target.Locate(r);
                    var matches = r.HasAnyHouseholdTag(audience);
                    return new ResidentExpectation(
                        r.ExternalId, r.Channel, matches && placement == Placement.Inside, matches && placement == Placement.Edge);
                })
                .ToList();

            var template = new SimulationReport
            {
                Seed = options.Seed,
                Residents = population.Count,
                ResidentsOutsideCity = population.Count(r => r.PlacedOutsideCity),
                Imported = registered.Count,
                Rejected = rejected,
                RejectionSamples = rejectionSamples,
                SignalRClients = signalR.Count,
                SignalRConnected = pool.Connected,
                SignalRFailed = pool.Failed,
                WebhookBase = receiver.BaseAddress,
                Area = target.Description,
                Audience = audience,
                AlertId = "",
                AlertVersion = 0,
                HubRecipients = null,
                Channels = [],
                Overall = new ChannelReport(ReportCalculator.Overall, null, 0, 0, 0, 0, 0, 0, 0, null, null, null),
                SignatureFailures = 0,
                UnknownResidentHooks = 0,
                MalformedPayloads = 0,
                OtherAlertReceipts = 0,
                WaitedMs = 0,
                TimedOut = false,
                Scenario = ScenarioKinds.Name(options.Scenario),
                Population = options.Population.ToString().ToLowerInvariant(),
            };
            var run = new ScenarioRun(options, api, receipts, time, _logger, target, expectations,
                population.Where(r => registered.ContainsKey(r.ExternalId)).ToList(), template);
            switch (options.Scenario)
            {
                case ScenarioKind.UpdateCancel:
                    return await UpdateCancelScenario.RunAsync(run, cancellationToken);
                case ScenarioKind.Storm:
                    return await StormScenario.RunAsync(run, cancellationToken);
            }

            // Outage: FCM goes down once a share of its residents has the alert (or before the first send).
            await using var outage = options.Scenario == ScenarioKind.Outage
                ? OutageMonitor.Create(options, receipts, time, expectations)
                : null;

            var killer = options is { KillHubAt.Count: > 0, KillAndRestartHub: { } kill }
                ? new HubKillMonitor(options.KillHubAt, kill, receipts, time, options.Timeout, options.KilledNode, options.KilledServer, options.KillOnChannel)
                : null;
            var receiptsBefore = receipts.DistinctCount;
            var killChannelBefore = killer?.Channel is { } killChannel ? receipts.DistinctCountOf(killChannel) : 0;
            IssuedAlert issued;
            long issuedAt;
            List<RepeatRound>? rounds = null;
            List<HubApiClient> repeatApis = [];
            var (issuingApi, issuingNode) = (api, 1);
            if (options.Scenario == ScenarioKind.Quake)
            {
                await api.PutRulesAsync(QuakeRule(audience), cancellationToken);
                var telegram = JmaTelegrams.Quake(time.GetUtcNow(), "訓練", "mobile-sim-" + options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
                issuedAt = time.GetTimestamp();
                issued = await api.PushJmaAsync(telegram, cancellationToken);
            }
            else if (options.ViaFeed)
            {
                await api.PutRulesAsync(FeedRule(audience), cancellationToken);
                var telegram = JmaTelegrams.Landslide(options.TimeProvider.GetUtcNow(), "発表", 1, "訓練", JmaTelegrams.YokoteIssued);
                issuedAt = time.GetTimestamp();
                issued = await api.PushJmaAsync(telegram, cancellationToken);
            }
            else
            {
                var alertBody = options.Scenario == ScenarioKind.Landslide
                    ? BuildAlert(target, audience, "土砂災害", "Extreme", "【訓練】土砂災害の危険（模擬）", "[EXERCISE] Landslide danger (simulated)")
                    : BuildAlert(target, audience);
                if (options.Repeat > 1)
                {
                    // --repeat: the same alert issued on every node in turn, each after the last fan-out ended; this is the last.
                    repeatApis = [.. options.Nodes.Select(n => new HubApiClient(n, options.ApiKey, options.HubHandler))];
                    rounds = await RepeatedIssues.RunEarlierAsync(options, api, repeatApis, receipts, alertBody, expectations.Count(e => e.Expected), time, _logger,
                        cancellationToken);
                    receiptsBefore = receipts.DistinctCount;
                }

                (issuingApi, issuingNode) = RepeatedIssues.NodeFor(options.Repeat - 1, api, repeatApis);
                outage?.Arm(time.GetTimestamp());
                issuedAt = time.GetTimestamp();
                issued = await issuingApi.IssueAlertAsync(alertBody, cancellationToken);
            }

            var issueRequestMs = time.GetElapsedTime(issuedAt).TotalMilliseconds;
            SimLog.AlertIssued(_logger, issued.Id, issued.Version, target.Description, issued.Recipients);
            if (killer is not null)
            {
                // The stall rule of the waiter would end the wait while the hub restarts: let every kill happen first.
                if (killer.Channel is { } channel)
                {
                    killer.Arm(issuedAt, killChannelBefore, expectations.Count(e => e.Expected && e.Channel == channel));
                }
                else
                {
                    killer.Arm(issuedAt, receiptsBefore, expectations.Count(e => e.Expected));
                }
                await killer.WaitDoneAsync();
            }

            if (outage is not null)
            {
                // The stall rule of the waiter would end the wait while FCM is down: wait the outage out first.
                await outage.WaitOverAsync(options.Timeout, cancellationToken);
            }

            var waiter = new QuiescenceWaiter(time, options.QuietPeriod, options.Timeout);
            // Distinct receipts: re-sends after a kill must not make the wait end before everyone has the alert.
            var (waited, timedOut) = await waiter.WaitAsync(() => receipts.DistinctCount - receiptsBefore, expectations.Count(e => e.Expected), cancellationToken,
                activity: () => receipts.Count);
            SimLog.WaitEnded(_logger, waited.TotalMilliseconds, receipts.Count, timedOut);

            var all = receipts.Snapshot();
            var ours = all.Where(r => r.AlertId == issued.Id).ToList();
            var hubTimings = await issuingApi.GetTimingsAsync(issued, cancellationToken);
            RepeatReport? repeat = null;
            if (rounds is not null)
            {
                rounds.Add(RepeatedIssues.Round(rounds.Count + 1, issuingNode, issued.Id, issueRequestMs, issuedAt, expectations.Count(e => e.Expected), receipts, time));
                repeat = new RepeatReport(rounds);
                foreach (var client in repeatApis)
                {
                    client.Dispose();
                }
            }

            var repeatIds = rounds?.Select(r => r.AlertId).ToHashSet(StringComparer.Ordinal) ?? [issued.Id];
            var (channels, overall) = ReportCalculator.Compute(expectations, ours, issued.Recipients, issued.ByChannel, issuedAt, time);

            return template with
            {
                AlertId = issued.Id,
                AlertVersion = issued.Version,
                HubRecipients = issued.Recipients,
                Channels = channels,
                Overall = overall,
                SignatureFailures = receipts.SignatureFailures,
                UnknownResidentHooks = receipts.UnknownResident,
                MalformedPayloads = receipts.Malformed,
                // The earlier issues of a --repeat run are this run's own, not "other alerts".
                OtherAlertReceipts = all.Count(r => !repeatIds.Contains(r.AlertId)),
                WaitedMs = waited.TotalMilliseconds,
                IssueRequestMs = issueRequestMs,
                TimedOut = timedOut,
                Repeat = repeat,
                Outage = outage?.Report(ours, expectations),
                HubKills = killer?.Report(ours),
                InboxCatchUp = ReportCalculator.InboxCatchUp(expectations, ours, receipts.InboxSnapshot(), receipts.InboxReadsFailed, issued.Id, issuedAt, time),
                Detail = ReportCalculator.ComputeDetail(population, expectations, ours, issuedAt, time),
                HubTimings = hubTimings,
            };
        }
        finally
        {
            await pool.StopAllAsync(TimeSpan.FromSeconds(20));
            await receiver.StopAsync(TimeSpan.FromSeconds(5));
        }
    }

    private async Task<TargetArea> ResolveTargetAsync(HubApiClient api, DemoAreaSet demo, CancellationToken cancellationToken)
    {
        if (options.ViaFeed || options.Scenario == ScenarioKind.Quake)
        {
            // The feed path targets municipalities by code: register the demo city as 横手市.
            var city = await api.AddAreaAsync("横手市（デモ全域）", "district", "0520300", demo.City, cancellationToken);
            return TargetArea.ForHubArea(city, demo.City);
        }

        if (options.Circle is { } circle)
        {
            return TargetArea.ForCircle(circle, options.CircleEdgeToleranceMeters);
        }

        if (options.Scenario == ScenarioKind.Landslide && options.AreaNameOrId is null)
        {
            // The middle of the first demo landslide zone's axis; ~2 km around it reaches the nearby hamlets.
            var line = DemoGeoFacts.LandslideZones[0].Line;
            var centre = new CircleArea(Math.Round(line.Average(p => p.Lat), 6), Math.Round(line.Average(p => p.Lon), 6), options.LandslideRadiusMeters);
            return TargetArea.ForCircle(centre, options.CircleEdgeToleranceMeters);
        }

        var fallback = options.Scenario is ScenarioKind.Flood or ScenarioKind.UpdateCancel ? FloodAreaName : DefaultAreaName;
        var wanted = options.AreaNameOrId ?? fallback;
        var areas = await api.GetAreasAsync(cancellationToken);
        var area = FindArea(areas, wanted);
        return TargetArea.ForHubArea(area, area.Geometry!);
    }

    internal static HubArea FindArea(IReadOnlyList<HubArea> areas, string wanted)
    {
        var area = areas.FirstOrDefault(a => a.Id == wanted)
            ?? areas.FirstOrDefault(a => a.Name == wanted)
            ?? throw new HubApiException(
                $"The hub has no area with id or name '{wanted}'. Import geo/demo-areas.geojson first (see geo/README.md). "
                + $"Known areas: {string.Join(", ", areas.Take(20).Select(a => a.Name))}");
        if (area.Geometry is null)
        {
            throw new HubApiException($"GET /api/areas returned area '{area.Name}' without a geometry; the sim cannot check targeting.");
        }

        return area;
    }

    private async Task<(Dictionary<string, ImportedResident> Registered, int Rejected, List<string> Samples)> ImportAsync(
        HubApiClient api, IReadOnlyList<SimResident> population, string webhookBase, Dictionary<string, IProviderPeer> peers, CancellationToken cancellationToken)
    {
        var registered = new Dictionary<string, ImportedResident>(StringComparer.Ordinal);
        var rejected = 0;
        var samples = new List<string>();
        var chunkSize = Math.Clamp(options.ImportChunkSize, 1, 50_000);
        // With --cluster the chunks go to every node in turn: residents registered on one node must be targeted from another.
        var nodes = options.Nodes.Count > 1 ? options.Nodes.Select(n => new HubApiClient(n, options.ApiKey, options.HubHandler)).ToList() : [];
        try
        {
            var chunkNo = 0;
            foreach (var chunk in population.Chunk(chunkSize))
            {
                chunkNo++;
                await ImportChunkAsync(nodes.Count > 0 ? nodes[(chunkNo - 1) % nodes.Count] : api, chunk, chunkNo);
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }

        return (registered, rejected, samples);

        async Task ImportChunkAsync(HubApiClient target, SimResident[] chunk, int chunkNo)
        {
            using var buffer = new MemoryStream();
            ImportNdjson.Write(buffer, chunk, webhookBase, r => peers[r.Channel].EndpointFor(r.ExternalId));
            var result = await target.ImportAsync(buffer.ToArray(), cancellationToken);
            foreach (var r in result.Residents)
            {
                // The hub echoes externalId; the line number (1-based within the chunk) is the fallback.
                var externalId = r.ExternalId
                    ?? (r.Line >= 1 && r.Line <= chunk.Length ? chunk[r.Line - 1].ExternalId : null);
                if (externalId is not null)
                {
                    registered[externalId] = r;
                }
            }

            rejected += result.Rejected;
            samples.AddRange(result.Rejections.Take(Math.Max(0, 5 - samples.Count))
                .Select(j => $"chunk {chunkNo} line {j.Line}: {j.Code} {j.Detail}"));
            SimLog.ImportChunk(_logger, chunkNo, result.Accepted, result.Rejected);
        }
    }

    /// <summary>The landslide rule the feed path uses: drills go to the run's audience (everyone when none).</summary>
    internal static JsonArray FeedRule(IReadOnlyList<string> audience)
    {
        var exerciseAudience = new JsonObject();
        if (audience.Count > 0)
        {
            exerciseAudience["householdTags"] = new JsonObject { ["any"] = new JsonArray(audience.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()) };
        }

        return new JsonArray(new JsonObject
        {
            ["name"] = "mobile-sim-landslide",
            ["families"] = new JsonArray("JMA:VXWW50"),
            ["minSeverity"] = "Severe",
            ["municipalities"] = new JsonArray("05203"),
            ["event"] = "土砂災害",
            ["exerciseAudience"] = exerciseAudience,
            ["templates"] = new JsonObject
            {
                ["ja"] = Texts("土砂災害警戒情報（{area}）", "これは mobile-sim の訓練です。{headline}", "訓練のため、行動の必要はありません。"),
                ["ja-x-easy"] = Texts("どしゃさいがい（くんれん）", "これは くんれん です。", "なにも しなくて だいじょうぶ です。"),
                ["en"] = Texts("Landslide alert (exercise)", "This is a mobile-sim exercise.", "No action is needed."),
            },
        });
    }

    /// <summary>The quake rule of the quake scenario: 震度5弱 or more in 横手市, drills to the run's audience.</summary>
    internal static JsonArray QuakeRule(IReadOnlyList<string> audience)
    {
        var rule = FeedRule(audience);
        var quake = rule[0]!.AsObject();
        quake["name"] = "mobile-sim-quake";
        quake["families"] = new JsonArray("JMA:VXSE53");
        quake["minSeverity"] = "Moderate";
        quake["minIntensity"] = "5-";
        quake["event"] = "地震";
        quake["templates"] = new JsonObject
        {
            ["ja"] = Texts("{area}で{intensity}の地震（訓練）", "これは mobile-sim の訓練です。{headline}", "訓練のため、行動の必要はありません。"),
            ["ja-x-easy"] = Texts("じしん（くんれん）", "これは くんれん です。", "なにも しなくて だいじょうぶ です。"),
            ["en"] = Texts("Earthquake (exercise)", "This is a mobile-sim exercise.", "No action is needed."),
        };
        return rule;
    }

    internal static JsonObject BuildAlert(
        TargetArea target, IReadOnlyList<string> audience, string eventName = "洪水", string severity = "Severe",
        string headlineJa = "【訓練】洪水の危険（模擬）", string headlineEn = "[EXERCISE] Flood danger (simulated)")
    {
        var alert = new JsonObject
        {
            ["status"] = "Exercise",
            ["msgType"] = "Alert",
            ["event"] = eventName,
            ["severity"] = severity,
            ["urgency"] = "Immediate",
            ["certainty"] = "Likely",
            ["area"] = target.WireArea.DeepClone(),
            ["texts"] = new JsonObject
            {
                ["ja"] = Texts(headlineJa, "これは mobile-sim による訓練配信です。実際の災害ではありません。", "訓練のため、行動の必要はありません。"),
                ["ja-x-easy"] = Texts(eventName == "洪水" ? "【くんれん】こうずい" : "【くんれん】どしゃさいがい", "これは くんれん です。ほんとうの さいがい では ありません。", "なにも しなくて だいじょうぶ です。"),
                ["en"] = Texts(headlineEn, "This is an exercise sent by mobile-sim. It is not a real disaster.", "No action is needed."),
            },
        };
        if (audience.Count > 0)
        {
            alert["audience"] = new JsonObject
            {
                ["householdTags"] = new JsonObject { ["any"] = new JsonArray(audience.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()) },
            };
        }

        return alert;
    }

    internal static JsonObject Texts(string headline, string body, string instruction) =>
        new() { ["headline"] = headline, ["body"] = body, ["instruction"] = instruction };
}
