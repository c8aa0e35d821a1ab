namespace AlertHub.Server.Features.Feeds;

/// <summary>
/// What acts on the newest event of a series once the intake has stored it: the rules engine implements it. Feeds only
/// parse, dedupe and store; what an event means for residents is decided above them.
/// </summary>
internal interface IFeedEventRules
{
    /// <param name="state">The series' state per rule, which the intake saves with the outcome.</param>
    Task<(string Outcome, string? AlertId)> ApplyAsync(AlertHub.Core.Feeds.HazardEvent e, string eventId, Dictionary<string, RuleSeriesState> state,
        CancellationToken cancellationToken);
}
