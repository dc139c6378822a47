using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telemetry.Observability;
using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// The one writer of a tenant's events. Appends that arrive while a commit is in flight wait and
/// go together in the next one (group commit), so the rate is bounded by PostgreSQL's commits, not by
/// calls. Each commit reserves the next sequence numbers with a compare-and-set of the tenant's log
/// head; an append is answered only after its commit, and the committed events then go to the
/// metrics grains through the <see cref="MetricsDispatcher"/>.
/// </summary>
[Reentrant] // appends must queue while a commit is in flight; all state is touched between awaits only
public sealed partial class TenantEventLogGrain(
    [PersistentState("event-log", StorageNames.Grains)] IPersistentState<EventLogCursor> cursor,
    EventBatchWriter writer,
    EventLogReader log,
    IOptions<EventLogOptions> options,
    TimeProvider clock,
    IngestMetrics metrics,
    ILogger<TenantEventLogGrain> logger)
    : Grain, ITenantEventLogGrain
{
    private readonly Queue<PendingAppend> _pending = new();
    private readonly EventLogOptions _options = options.Value;
    private int _pendingEvents;
    private Task? _committing;
    private MetricsDispatcher _dispatcher = null!;
    private long _head;
    private HashSet<string> _types = [];
    private DateTimeOffset _cursorSavedAt;

    private string TenantId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _head = await log.ReadHeadAsync(TenantId, cancellationToken)
            ?? throw new ArgumentException($"There is no tenant '{TenantId}'.");
        _types = await log.ReadTypesAsync(TenantId, cancellationToken);
        _dispatcher = new MetricsDispatcher(TenantId, GrainFactory, log, _options, logger);
        _dispatcher.Start(Math.Min(cursor.State.DispatchedSeq, _head), _head);
        _cursorSavedAt = clock.GetUtcNow();
        this.RegisterGrainTimer(MaintainAsync, _options.MaintenanceInterval, _options.MaintenanceInterval);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await SaveCursorAsync(cancellationToken);
    }

    public async Task<AppendOutcome[]> AppendAsync(EventRecord[] events)
    {
        if (events.Length == 0) return [];
        metrics.Appended(TenantId);
        if (_pendingEvents + events.Length > _options.MaxPendingEvents)
        {
            throw new StorageUnavailableException("The event log is behind; retry shortly.");
        }

        var append = new PendingAppend(events);
        _pending.Enqueue(append);
        _pendingEvents += events.Length;
        metrics.Pending(events.Length);
        if (_committing is null || _committing.IsCompleted) _committing = CommitPendingAsync();
        return await append.Outcome.Task;
    }

    /// <summary>Commits what is pending, batch after batch, until nothing is.</summary>
    private async Task CommitPendingAsync()
    {
        while (_pending.Count > 0)
        {
            var batch = new List<PendingAppend>();
            var count = 0;
            while (_pending.TryPeek(out var next) && (batch.Count == 0 || count + next.Events.Length <= _options.MaxCommitEvents))
            {
                batch.Add(_pending.Dequeue());
                count += next.Events.Length;
            }
            _pendingEvents -= count;
            metrics.Pending(-count);
            try
            {
                await CommitAsync(batch);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Fail(batch, ex is StorageUnavailableException ? ex : new StorageUnavailableException("The commit failed; nothing was acknowledged. Retry with the same ids.", ex));
            }
        }
    }

    private async Task CommitAsync(List<PendingAppend> batch)
    {
        // Within a batch the first copy of an id is the one written; later copies are its duplicates.
        // An event whose type would pass the tenant's cap is not written at all.
        var unique = new List<EventRecord>();
        var firstIndex = new Dictionary<Guid, int>();
        var overCap = new Dictionary<Guid, EventRefusal>();
        var newTypes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var append in batch)
        {
            foreach (var e in append.Events)
            {
                if (firstIndex.ContainsKey(e.Id) || overCap.ContainsKey(e.Id)) continue;
                if (!_types.Contains(e.Type) && !newTypes.Contains(e.Type))
                {
                    if (_types.Count + newTypes.Count >= _options.MaxTypes)
                    {
                        overCap[e.Id] = new EventRefusal("type", $"is a new type, and the tenant has {_options.MaxTypes} distinct types, the most it may have: use one of them and put what varies in properties");
                        continue;
                    }
                    newTypes.Add(e.Type);
                }
                firstIndex[e.Id] = unique.Count;
                unique.Add(e);
            }
        }
        if (unique.Count == 0)
        {
            foreach (var append in batch) append.Outcome.TrySetResult([.. append.Events.Select(e => new AppendOutcome(e.Id, e.ReceivedAt, false, overCap[e.Id]))]);
            return;
        }

        var expected = _head;
        EventBatchWriter.Result result;
        var started = clock.GetTimestamp();
        try
        {
            result = await writer.AppendAsync(TenantId, expected, unique);
            if (!result.HeadMatched)
            {
                // Another activation moved the head: this one is stale. Nothing was written.
                LogFenced(TenantId, expected);
                Fail(batch, new StorageUnavailableException("The tenant's event log moved to another silo; retry."));
                DeactivateOnIdle();
                return;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var planned = (ex as UnsettledCommitException)?.Planned ?? EventBatchWriter.Result.Contiguous(expected, unique.Count, []);
            var settled = await SettleAsync(expected, planned.Advanced);
            if (settled is null)
            {
                LogCommitFailed(ex, TenantId, expected);
                Fail(batch, new StorageUnavailableException("PostgreSQL did not take the events; nothing was stored. Retry."));
                return;
            }
            result = planned with { InsertedSeqs = settled };
        }

        var took = clock.GetElapsedTime(started);
        var inserted = result.InsertedSeqs;
        var seqs = result.Seqs;
        metrics.Committed(TenantId, inserted.Count, unique.Count, took);
        if (took >= _options.SlowCommit) LogSlowCommit(TenantId, unique.Count, took.TotalMilliseconds);
        if (result.Refused.Count > 0) LogRefused(TenantId, result.Refused.Count, result.Refused.First().Value);

        _head = expected + result.Advanced;
        if (newTypes.Count > 0)
        {
            for (var i = 0; i < unique.Count; i++) if (seqs[i] > 0) _types.Add(unique[i].Type);
        }
        var stored = new List<EventLogReader.LoggedEvent>(inserted.Count);
        for (var i = 0; i < unique.Count; i++)
        {
            if (inserted.Contains(seqs[i])) stored.Add(new EventLogReader.LoggedEvent(unique[i].ToCounted(seqs[i]), unique[i].UserId));
        }
        if (_head > expected) _dispatcher.Committed(expected, _head, stored);

        var originals = await ReceivedAtOfDuplicatesAsync(unique, seqs, inserted);
        foreach (var append in batch)
        {
            var outcomes = new AppendOutcome[append.Events.Length];
            for (var i = 0; i < outcomes.Length; i++)
            {
                var e = append.Events[i];
                if (overCap.TryGetValue(e.Id, out var capped))
                {
                    outcomes[i] = new AppendOutcome(e.Id, e.ReceivedAt, Duplicate: false, Refused: capped);
                    continue;
                }
                var first = firstIndex[e.Id];
                if (result.Refused.TryGetValue(first, out var refusal))
                {
                    outcomes[i] = new AppendOutcome(e.Id, e.ReceivedAt, Duplicate: false, Refused: new EventRefusal("event", refusal));
                    continue;
                }
                var isStored = inserted.Contains(seqs[first]);
                var isOriginal = ReferenceEquals(unique[first], e) && isStored;
                var receivedAt = isStored ? unique[first].ReceivedAt : originals.GetValueOrDefault(e.Id, e.ReceivedAt);
                outcomes[i] = new AppendOutcome(e.Id, receivedAt, Duplicate: !isOriginal);
            }
            append.Outcome.TrySetResult(outcomes);
        }
    }

    /// <summary>
    /// After a failed commit, finds out whether it happened: the head tells, because the commit moves
    /// it in the same statement. Answers the stored sequence numbers, or null when nothing was stored.
    /// If it cannot tell, this activation's view of the head is unreliable: it deactivates.
    /// </summary>
    private async Task<HashSet<long>?> SettleAsync(long expected, int count)
    {
        try
        {
            var head = await log.ReadHeadAsync(TenantId);
            if (head == expected) return null;
            if (head == expected + count) return await log.ReadSeqsAsync(TenantId, expected, expected + count);
            LogHeadMoved(TenantId, expected, head);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSettleFailed(ex, TenantId, expected);
        }
        DeactivateOnIdle();
        throw new StorageUnavailableException("PostgreSQL is unavailable; the events were not acknowledged. Retry with the same ids.");
    }

    private async Task<Dictionary<Guid, DateTimeOffset>> ReceivedAtOfDuplicatesAsync(List<EventRecord> unique, long[] seqs, HashSet<long> inserted)
    {
        if (inserted.Count == unique.Count) return [];
        var ids = new List<Guid>();
        for (var i = 0; i < unique.Count; i++)
        {
            if (seqs[i] > 0 && !inserted.Contains(seqs[i])) ids.Add(unique[i].Id);
        }
        if (ids.Count == 0) return [];
        try
        {
            return await log.ReadReceivedAtAsync(TenantId, [.. ids]);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The events are stored; only the originals' receipt times are unknown. Answer with this copy's.
            LogDuplicateLookupFailed(ex, TenantId);
            return [];
        }
    }

    private static void Fail(List<PendingAppend> batch, Exception error)
    {
        foreach (var append in batch) append.Outcome.TrySetException(error);
    }

    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        _dispatcher.EnsureRunning();
        if (clock.GetUtcNow() - _cursorSavedAt >= _options.CursorSaveInterval) await SaveCursorAsync(cancellationToken);
    }

    private async Task SaveCursorAsync(CancellationToken cancellationToken)
    {
        if (_dispatcher is null || cursor.State.DispatchedSeq == _dispatcher.Dispatched) return;
        cursor.State.DispatchedSeq = _dispatcher.Dispatched;
        await cursor.WriteStateAsync(cancellationToken);
        _cursorSavedAt = clock.GetUtcNow();
    }

    /// <summary>One caller's events and the answer it waits for.</summary>
    private sealed class PendingAppend(EventRecord[] events)
    {
        public EventRecord[] Events { get; } = events;

        public TaskCompletionSource<AppendOutcome[]> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: the log head moved away from {Expected}; this activation is stale and steps down")]
    private partial void LogFenced(string tenant, long expected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: the commit after {Expected} failed and stored nothing")]
    private partial void LogCommitFailed(Exception ex, string tenant, long expected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: expected head {Expected} or its commit, found {Head}")]
    private partial void LogHeadMoved(string tenant, long expected, long? head);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tenant {Tenant}: could not tell whether the commit after {Expected} happened; stepping down")]
    private partial void LogSettleFailed(Exception ex, string tenant, long expected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: PostgreSQL refused {Events} events of a commit, which were answered alone; the first: {Reason}")]
    private partial void LogRefused(string tenant, int events, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: a commit of {Events} events took {Milliseconds:F0} ms")]
    private partial void LogSlowCommit(string tenant, int events, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: could not read the receipt times of duplicates")]
    private partial void LogDuplicateLookupFailed(Exception ex, string tenant);
}
