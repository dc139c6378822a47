namespace Telemetry.Gateway.Rejected;

/// <summary>
/// Writes the refused events the gateway holds every <see cref="RejectedOptions.FlushInterval"/>, trims each tenant to its
/// newest <see cref="RejectedOptions.MaxPerTenant"/>, and drops those older than <see cref="RejectedOptions.KeepDays"/> hourly.
/// </summary>
public sealed partial class RejectedEventFlusher(
    RejectedEventRecorder recorder, RejectedEventStore store, IOptions<RejectedOptions> options, TimeProvider clock, ILogger<RejectedEventFlusher> logger)
    : PeriodicFlusher
{
    private const int MaxPerWrite = 5_000;
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);
    private DateTimeOffset _nextPrune;

    protected override TimeSpan Interval => options.Value.FlushInterval;

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var batch = new List<RejectedEventStore.NewRejection>();
        while (batch.Count < MaxPerWrite && recorder.Waiting.TryRead(out var rejection)) batch.Add(rejection);
        try
        {
            await store.AddAsync(batch, o.MaxPerTenant, cancellationToken);
            if (clock.GetUtcNow() >= _nextPrune)
            {
                _nextPrune = clock.GetUtcNow() + PruneEvery;
                await store.PruneAsync(clock.GetUtcNow() - TimeSpan.FromDays(o.KeepDays), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // They were answered 422 already: keeping them is a service, so a write PostgreSQL refuses is not retried.
            LogWriteFailed(batch.Count, ex);
        }
        if (recorder.TakeDropped() is > 0 and var dropped) LogDropped(dropped);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} refused events could not be kept: PostgreSQL refused their write")]
    private partial void LogWriteFailed(int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} refused events were not kept: more waited than Rejected:MaxWaiting, or they could not be written as JSON")]
    private partial void LogDropped(long count);
}
