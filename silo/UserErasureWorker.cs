using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telemetry.Grains;
using Telemetry.Storage;

namespace Telemetry.Silo;

/// <summary>
/// Carries out erasure requests, one at a time per silo: every silo runs one, and they share the requests in PostgreSQL
/// under a lease. A chunk deletes events with their rollup counts in one transaction, then the tenant's metrics grain
/// takes the same counts out of memory; at the end the tenant's metrics reload from the rollups and the user's grain
/// counts again what is left, so that live metrics equal SQL whatever happened in between.
/// </summary>
public sealed partial class UserErasureWorker(
    UserErasureStore store, IGrainFactory grains, ILocalSiloDetails silo, IOptions<ErasureOptions> options, TimeProvider clock, ILogger<UserErasureWorker> logger)
    : BackgroundService
{
    private static readonly TimeSpan HeadPoll = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var o = options.Value;
            UserErasureStore.Claimed? job = null;
            try
            {
                job = await store.ClaimAsync(silo.SiloAddress.ToString(), o.Lease, o.MaxAttempts, stoppingToken);
                if (job is not null)
                {
                    await RunAsync(job, o, stoppingToken);
                    continue;
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The request stays open; another attempt takes it once this one's lease ran out.
                LogFailed(ex, job?.Id);
                if (job is not null) await NoteAsync(job, ex, stoppingToken);
            }
            try
            {
                await Task.Delay(o.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunAsync(UserErasureStore.Claimed job, ErasureOptions o, CancellationToken stoppingToken)
    {
        LogStarted(job.Id, job.TenantId, job.Attempt);
        var tenant = grains.GetGrain<ITenantMetricsGrain>(job.TenantId);
        var waitingSince = (DateTimeOffset?)null;
        while (true)
        {
            var chunk = await store.EraseChunkAsync(job, o.ChunkEvents, o.Lease, stoppingToken);
            if (chunk is null)
            {
                LogLostLease(job.Id);
                return;
            }
            if (chunk.Retraction is { } retraction) await tenant.RetractAsync(retraction);
            if (chunk.Erased == o.ChunkEvents) continue;
            if (chunk.Head >= chunk.UpToSeq) break;

            // Events acknowledged before the request may not be counted yet (the head has not passed them): they are
            // erased once it has. A log whose silo died is woken, as the metrics grains do.
            waitingSince ??= clock.GetUtcNow();
            if (clock.GetUtcNow() - waitingSince > o.HeadWait) throw new TimeoutException($"The tenant's log head stayed at {chunk.Head}, below {chunk.UpToSeq}.");
            await grains.GetGrain<ITenantEventLogGrain>(job.TenantId).WakeAsync();
            await Task.Delay(HeadPoll, clock, stoppingToken);
        }

        await tenant.ReloadAsync();
        await grains.GetGrain<IUserMetricsGrain>(UserKey.Format(job.TenantId, job.UserId)).RecountAsync();
        if (await store.FinishAsync(job, stoppingToken)) LogDone(job.Id, job.TenantId);
        else LogLostLease(job.Id);
    }

    private async Task NoteAsync(UserErasureStore.Claimed job, Exception error, CancellationToken stoppingToken)
    {
        try
        {
            await store.NoteErrorAsync(job, error.Message, stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogFailed(ex, job.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {Id} of tenant {Tenant}: attempt {Attempt} started")]
    private partial void LogStarted(Guid id, string tenant, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {Id} of tenant {Tenant}: done")]
    private partial void LogDone(Guid id, string tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erasure {Id}: another attempt holds it (this one's lease ran out); this one stops")]
    private partial void LogLostLease(Guid id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Erasure {Id}: the attempt failed; the request is taken again when its lease runs out")]
    private partial void LogFailed(Exception ex, Guid? id);
}
