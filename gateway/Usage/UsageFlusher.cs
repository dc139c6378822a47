namespace Telemetry.Gateway.Usage;

/// <summary>Adds the gateway's usage counts to PostgreSQL every <see cref="UsageOptions.FlushInterval"/>, and once more when it stops.</summary>
public sealed partial class UsageFlusher(UsageRecorder recorder, UsageStore store, IOptions<UsageOptions> options, ILogger<UsageFlusher> logger) : PeriodicFlusher
{
    protected override TimeSpan Interval => options.Value.FlushInterval;

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        var counts = recorder.TakeAll();
        try
        {
            await store.AddAsync(counts, cancellationToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            recorder.Restore(counts);
            LogFlushFailed(counts.Length, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adding {Rows} usage counts to PostgreSQL failed; they wait for the next flush")]
    private partial void LogFlushFailed(int rows, Exception exception);
}
