namespace Telemetry.Gateway.Core;

/// <summary>
/// A background writer of what a gateway gathers in memory: it flushes every <see cref="Interval"/>, and once more when
/// the gateway stops, so that a graceful stop keeps everything gathered.
/// </summary>
public abstract class PeriodicFlusher : BackgroundService
{
    protected abstract TimeSpan Interval { get; }

    /// <summary>Writes what was gathered; failures are the flusher's to handle (it runs again at the next tick).</summary>
    public abstract Task FlushAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes the rest.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }
}
