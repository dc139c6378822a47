using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telemetry.Storage;

namespace Telemetry.Silo;

/// <summary>
/// Keeps the weekly partitions of <c>events</c> ready ahead of time and drops those past the
/// retention, and prunes usage and erasure records past theirs. Every silo runs it; the work is idempotent.
/// </summary>
public sealed partial class EventPartitionMaintenance(
    EventPartitionStore partitions,
    UsageStore usage,
    UserErasureStore erasures,
    IOptions<RetentionOptions> options,
    TimeProvider clock,
    ILogger<EventPartitionMaintenance> logger) : BackgroundService
{
    /// <summary>One round: the coming weeks, then retention. Answers the partitions dropped.</summary>
    public async Task<List<string>> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await partitions.EnsureAheadAsync(now, cancellationToken);
        // Records about events have their own retention: usage is billed, an erasure's record proves it happened. Each
        // step fails alone: a failed prune must not stop the events' own retention, itself a duty.
        if (options.Value.UsageDays > 0) await AloneAsync(() => usage.PruneAsync(now.AddDays(-options.Value.UsageDays), cancellationToken), "usage");
        if (options.Value.ErasureAuditDays > 0) await AloneAsync(() => erasures.PruneAsync(now.AddDays(-options.Value.ErasureAuditDays), cancellationToken), "erasure records");
        if (options.Value.RetentionDays is not { } days) return [];
        var dropped = await partitions.DropBeforeAsync(now.AddDays(-days), cancellationToken);
        foreach (var name in dropped) LogDropped(name, days);
        return dropped;
    }

    private async Task AloneAsync(Func<Task<int>> prune, string what)
    {
        try
        {
            await prune();
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            LogPruneFailed(ex, what);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MaintenanceInterval, clock);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.LockNotAvailable)
            {
                // Long reads held events past Database:PartitionLockTimeout: better to try again later than to make
                // every insert and read queue behind the waiting DDL. Partitions are made a week ahead.
                LogLockTimeout(ex.MessageText);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped event partition {Partition}: older than the retention of {Days} days")]
    private partial void LogDropped(string partition, int days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event partition maintenance gave up waiting for a lock behind long reads ({Reason}); it runs again at the next interval")]
    private partial void LogLockTimeout(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning {What} failed; it runs again at the next interval")]
    private partial void LogPruneFailed(Exception ex, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event partition maintenance failed; it runs again at the next interval")]
    private partial void LogFailed(Exception ex);
}
