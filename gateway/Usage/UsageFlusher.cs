namespace Telemetry.Gateway.Usage;

/// <summary>Adds the gateway's usage counts to PostgreSQL every <see cref="UsageOptions.FlushInterval"/>, and once more when it stops.</summary>
public sealed partial class UsageFlusher(UsageRecorder recorder, UsageStore store, IOptions<UsageOptions> options, ILogger<UsageFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync adds the rest.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    /// <summary>Adds what was counted; on failure (PostgreSQL away) the counts wait for the next flush.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
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
