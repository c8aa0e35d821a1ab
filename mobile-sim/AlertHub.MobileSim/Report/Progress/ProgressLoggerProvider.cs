namespace AlertHub.MobileSim.Report.Progress;

/// <summary>
/// Feeds <see cref="RunProgress"/> from the runner's own log events (by event name, so renumbering does not break
/// it) and clears the bar before any log line is written to the console.
/// </summary>
internal sealed class ProgressLoggerProvider(RunProgress progress) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Observer(progress);

    public void Dispose()
    {
    }

    private sealed class Observer(RunProgress progress) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            int? Int(string key) => values.FirstOrDefault(kv => kv.Key == key).Value is int i ? i : null;

            switch (eventId.Name)
            {
                case "ReceiverStarted":
                    // The import starts right after: open its bar now so the rate counts the whole import.
                    progress.BeforeLog();
                    progress.ImportStarting();
                    return;
                case "ImportChunk":
                    progress.ImportChunk(Int("Accepted") ?? 0, Int("Rejected") ?? 0);
                    break;
                case "SignalRReady":
                    progress.SignalRReady(Int("Connected") ?? 0, Int("Failed") ?? 0, Int("Total") ?? 0);
                    break;
                case "AlertIssued":
                    progress.BeforeLog();
                    progress.AlertIssued(Int("Recipients"));
                    return;
                case "WaitEnded":
                    progress.WaitEndedAsync(values.FirstOrDefault(kv => kv.Key == "TimedOut").Value is true).GetAwaiter().GetResult();
                    return;
            }

            progress.BeforeLog();
        }
    }
}
