using AlertHub.IntegrationTests.Features;
using AlertHub.IntegrationTests.Features.Alerts;
using AlertHub.IntegrationTests.Features.Feeds;
using AlertHub.IntegrationTests.Features.Staff;
using AlertHub.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace AlertHub.IntegrationTests.Storage;

/// <summary>
/// The whole hub on PostgreSQL (<c>Storage:Engine=postgres</c>): the host tests below are the SQLite ones, run again with
/// every hub they start (in process, or its own process for a kill -9) on a database of the run's throwaway cluster. Issue
/// → deliver, update and cancel while sending, one approval, a stop and a kill -9 mid fan-out, a 100,000-row import, queueing
/// in parts, and feed → rule → alert.
/// </summary>
[PostgresEngine]
public sealed class PostgresHostTests(ITestOutputHelper output)
{
    [StoreFact]
    public Task IssueAlert_ToSubscribedSignalRResident_ReceivesOneMarkedDrillMessage() =>
        OnPostgresAsync(() => new AlertDeliveryTests(), t => t.IssueAlert_ToSubscribedSignalRResident_ReceivesOneMarkedDrillMessage());

    [StoreFact]
    public Task Webhook_SignedDelivery_UpdateReachesNewcomersAndCancelReachesOnlyThoseNotified() =>
        OnPostgresAsync(() => new AlertDeliveryTests(), t => t.Webhook_SignedDelivery_UpdateReachesNewcomersAndCancelReachesOnlyThoseNotified());

    [StoreFact]
    public Task Webhook_GoneAddress_IsPrunedAndCountedGone() =>
        OnPostgresAsync(() => new AlertDeliveryTests(), t => t.Webhook_GoneAddress_IsPrunedAndCountedGone());

    [StoreFact]
    public Task Webhook_ServerErrors_AreRetriedUntilDelivered() =>
        OnPostgresAsync(() => new AlertDeliveryTests(), t => t.Webhook_ServerErrors_AreRetriedUntilDelivered());

    [StoreFact]
    public Task Retraction_WhileTheAlertIsStillBeingSent_ReachesEveryoneWhoGotItAndNobodyElse() =>
        TestEngine.RunOnPostgresAsync(() => new RetractionTests().Retraction_WhileTheAlertIsStillBeingSent_ReachesEveryoneWhoGotItAndNobodyElse("cancel", "Cancel"));

    [StoreFact]
    public Task Update_WhileTheAlertIsStillBeingSent_FollowsEveryoneWhoGotTheFirstVersionAndReachesTheRest() =>
        TestEngine.RunOnPostgresAsync(() => new RetractionTests().Update_WhileTheAlertIsStillBeingSent_FollowsEveryoneWhoGotTheFirstVersionAndReachesTheRest());

    [StoreFact]
    public Task Approve_FourApproversAtOnce_IssuesOneAlertAndTheOthersGet409() =>
        OnPostgresAsync(() => new ApprovalTests(), t => t.Approve_FourApproversAtOnce_IssuesOneAlertAndTheOthersGet409());

    [StoreFact]
    public Task StopMidFanOut_ThenRestartOnSameDatabase_DeliversEveryoneExactlyOnce() =>
        TestEngine.RunOnPostgresAsync(() => new RestartTests().StopMidFanOut_ThenRestartOnSameDatabase_DeliversEveryoneExactlyOnce());

    [StoreFact]
    public Task Kill9_MidFanOut_NobodyIsLostAndResendsAreAtMostWhatWasInFlight() =>
        TestEngine.RunOnPostgresAsync(() => new CrashTests(output).Kill9_MidFanOut_NobodyIsLostAndResendsAreAtMostWhatWasInFlight());

    [StoreFact]
    public Task Kill9_WhileALargeFanOutIsStillBeingQueued_TheRestartFinishesQueueingAndNobodyIsLost() =>
        TestEngine.RunOnPostgresAsync(() => new CrashTests(output).Kill9_WhileALargeFanOutIsStillBeingQueued_TheRestartFinishesQueueingAndNobodyIsLost());

    [StoreFact]
    public Task Issue_AboveTheThreshold_AnswersWithTheWholeFanOutAndEveryoneGetsItOnce() =>
        TestEngine.RunOnPostgresAsync(() => new QueueingInPartsTests().Issue_AboveTheThreshold_AnswersWithTheWholeFanOutAndEveryoneGetsItOnce());

    [StoreFact]
    public Task Update_WhileTheFirstVersionIsStillBeingQueued_DecidesWhoHearsWhatNext() =>
        TestEngine.RunOnPostgresAsync(() => new QueueingInPartsTests().Update_WhileTheFirstVersionIsStillBeingQueued_DecidesWhoHearsWhatNext());

    [StoreFact]
    public Task Import_HundredThousandRows_AllAcceptedInOneRequest() =>
        TestEngine.RunOnPostgresAsync(async () =>
        {
            using var tests = new ResidentsTests();
            await tests.Import_HundredThousandRows_AllAcceptedInOneRequest();
        });

    [StoreFact]
    public Task LandslideSeries_IssuedThenContinuedThenLifted_NotifiesOnceAndAllClearsThoseNotified() =>
        OnPostgresAsync(() => new FeedRulesTests(), t => t.LandslideSeries_IssuedThenContinuedThenLifted_NotifiesOnceAndAllClearsThoseNotified());

    [StoreFact]
    public Task CancelAfterNotification_RetractsForThoseNotifiedOnly() =>
        OnPostgresAsync(() => new FeedRulesTests(), t => t.CancelAfterNotification_RetractsForThoseNotifiedOnly());

    /// <summary>Runs one test of a class that starts its hub in InitializeAsync, with the class made inside the PostgreSQL scope.</summary>
    private static Task OnPostgresAsync<T>(Func<T> create, Func<T, Task> test)
        where T : IAsyncLifetime =>
        TestEngine.RunOnPostgresAsync(async () =>
        {
            var instance = create();
            await instance.InitializeAsync();
            try
            {
                await test(instance);
            }
            finally
            {
                await instance.DisposeAsync();
            }
        });
}
