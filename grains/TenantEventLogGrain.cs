using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telemetry.Observability;
using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// The one writer of a tenant's events. Appends that arrive while commits are in flight wait and go
/// together in the next one (group commit); up to <see cref="EventLogOptions.CommitsInFlight"/> commits
/// run at once, each with its own range of sequence numbers. An append is answered only after its
/// commit. Commits end in any order; the log head then moves over each contiguous run of ended commits
/// (counting them into the rollups in the same statement), and only then are they handed, in sequence
/// order, to the metrics grains through the <see cref="MetricsDispatcher"/>. The writer claims the log
/// on activation (an epoch that every commit checks), which fences off any earlier activation.
/// </summary>
[Reentrant] // appends must queue while commits are in flight; all state is touched between awaits only
public sealed partial class TenantEventLogGrain(
    [PersistentState("event-log", StorageNames.Grains)] IPersistentState<EventLogCursor> cursor,
    EventBatchWriter writer,
    EventLogHeadStore heads,
    EventLogReader log,
    IOptions<EventLogOptions> options,
    TimeProvider clock,
    IngestMetrics metrics,
    ILogger<TenantEventLogGrain> logger)
    : Grain, ITenantEventLogGrain
{
    private readonly Queue<PendingAppend> _pending = new();
    private readonly FinishedCommits _finished = new();
    private readonly EventLogOptions _options = options.Value;
    private int _pendingEvents;
    private int _inFlight;
    private long _epoch;
    private long _allocated;
    private long _head;
    private Task? _advancing;
    private string? _steppingDown;
    private MetricsDispatcher _dispatcher = null!;
    private HashSet<string> _types = [];
    private DateTimeOffset _cursorSavedAt;

    private string TenantId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var claim = await heads.ClaimAsync(TenantId, _options.ClaimLockTimeout, cancellationToken)
            ?? throw new ArgumentException($"There is no tenant '{TenantId}'.");
        _epoch = claim.Epoch;
        _head = claim.Head;
        if (claim.HighestSeq > claim.Head)
        {
            // Commits of an earlier writer that ended before it moved the head over them: count them now.
            if (!await heads.AdvanceAsync(TenantId, _epoch, claim.Head, claim.HighestSeq, null, cancellationToken))
            {
                throw new StorageUnavailableException("The tenant's event log was claimed by another activation; retry.");
            }
            LogCaughtUp(TenantId, claim.Head, claim.HighestSeq);
            _head = claim.HighestSeq;
        }
        _allocated = _head;
        _finished.Reset(_head);
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
        if (_steppingDown is { } why) throw new StorageUnavailableException(why);
        metrics.Appended(TenantId);
        if (_pendingEvents + events.Length > _options.MaxPendingEvents)
        {
            throw new StorageUnavailableException("The event log is behind; retry shortly.");
        }

        var append = new PendingAppend(events);
        _pending.Enqueue(append);
        _pendingEvents += events.Length;
        metrics.Pending(events.Length);
        StartCommits();
        return await append.Outcome.Task;
    }

    public Task WakeAsync()
    {
        if (_steppingDown is null) EnsureAdvancing();
        _dispatcher.EnsureRunning();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts commits of what is pending while fewer than the most allowed are in flight; beside one in
    /// flight, only when enough waits to make a group worth a commit of its own.
    /// </summary>
    private void StartCommits()
    {
        while (_steppingDown is null && _inFlight < Math.Max(1, _options.CommitsInFlight) && _pending.Count > 0
               && (_inFlight == 0 || _pendingEvents >= _options.MinEventsForAnotherCommit))
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
            _inFlight++;
            _ = CommitAsync(batch);
        }
    }

    /// <summary>Commits one batch and answers its callers; never throws (each caller gets its answer or its error).</summary>
    private async Task CommitAsync(List<PendingAppend> batch)
    {
        var slotHeld = true;
        void ReleaseSlot()
        {
            if (!slotHeld) return;
            slotHeld = false;
            _inFlight--;
            StartCommits();
        }

        try
        {
            var plan = Plan(batch);
            if (plan.Unique.Count == 0)
            {
                Answer(batch, plan, new EventBatchWriter.Result(true, [], new Dictionary<int, string>()), 0, []);
                return;
            }

            var first = _allocated + 1;
            _allocated += plan.Unique.Count;
            var started = clock.GetTimestamp();
            EventBatchWriter.Result result;
            try
            {
                result = await writer.AppendAsync(TenantId, _epoch, first, plan.Unique);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Whether it happened, only a new claim can tell (it waits until this commit ended): step down.
                LogCommitFailed(ex, TenantId, first);
                StepDown("PostgreSQL did not confirm the commit; retry with the same ids (any that were stored come back as duplicates).");
                Fail(batch, new StorageUnavailableException(_steppingDown!));
                return;
            }
            if (!result.Claimed)
            {
                // Another activation claimed the log: this one is stale. Nothing was written.
                LogFenced(TenantId, _epoch);
                StepDown("The tenant's event log moved to another activation; retry.");
                Fail(batch, new StorageUnavailableException(_steppingDown!));
                return;
            }

            var took = clock.GetElapsedTime(started);
            metrics.Committed(TenantId, result.InsertedSeqs.Count, plan.Unique.Count, took);
            if (took >= _options.SlowCommit) LogSlowCommit(TenantId, plan.Unique.Count, took.TotalMilliseconds);
            if (result.Refused.Count > 0) LogRefused(TenantId, result.Refused.Count, result.Refused.First().Value);

            var stored = new List<EventLogReader.LoggedEvent>(result.InsertedSeqs.Count);
            var earliest = DateTimeOffset.MaxValue;
            for (var i = 0; i < plan.Unique.Count; i++)
            {
                var e = plan.Unique[i];
                if (!result.InsertedSeqs.Contains(first + i)) continue;
                stored.Add(new EventLogReader.LoggedEvent(e.ToCounted(first + i), e.UserId));
                if (e.ReceivedAt < earliest) earliest = e.ReceivedAt;
            }
            _finished.Add(first - 1, first - 1 + plan.Unique.Count, stored, earliest);
            EnsureAdvancing();
            ReleaseSlot();

            var originals = await ReceivedAtOfDuplicatesAsync(plan.Unique, first, result.InsertedSeqs);
            Answer(batch, plan, result, first, originals);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCommitFailed(ex, TenantId, _allocated);
            Fail(batch, new StorageUnavailableException("The commit failed; retry with the same ids.", ex));
        }
        finally
        {
            ReleaseSlot();
        }
    }

    /// <summary>
    /// What a batch writes: the first copy of each id (later copies in the batch are its duplicates), less
    /// the events whose new type would pass the tenant's cap. A new type counts once it is sent.
    /// </summary>
    private CommitPlan Plan(List<PendingAppend> batch)
    {
        var plan = new CommitPlan();
        foreach (var append in batch)
        {
            foreach (var e in append.Events)
            {
                if (plan.FirstIndex.ContainsKey(e.Id) || plan.OverCap.ContainsKey(e.Id)) continue;
                if (!_types.Contains(e.Type))
                {
                    if (_types.Count >= _options.MaxTypes)
                    {
                        plan.OverCap[e.Id] = new EventRefusal("type", $"is a new type, and the tenant has {_options.MaxTypes} distinct types, the most it may have: use one of them and put what varies in properties");
                        continue;
                    }
                    _types.Add(e.Type);
                }
                plan.FirstIndex[e.Id] = plan.Unique.Count;
                plan.Unique.Add(e);
            }
        }
        return plan;
    }

    private static void Answer(List<PendingAppend> batch, CommitPlan plan, EventBatchWriter.Result result, long first, Dictionary<Guid, DateTimeOffset> originals)
    {
        foreach (var append in batch)
        {
            var outcomes = new AppendOutcome[append.Events.Length];
            for (var i = 0; i < outcomes.Length; i++)
            {
                var e = append.Events[i];
                if (plan.OverCap.TryGetValue(e.Id, out var capped))
                {
                    outcomes[i] = new AppendOutcome(e.Id, e.ReceivedAt, Duplicate: false, Refused: capped);
                    continue;
                }
                var index = plan.FirstIndex[e.Id];
                if (result.Refused.TryGetValue(index, out var refusal))
                {
                    outcomes[i] = new AppendOutcome(e.Id, e.ReceivedAt, Duplicate: false, Refused: new EventRefusal("event", refusal));
                    continue;
                }
                var isStored = result.InsertedSeqs.Contains(first + index);
                var isOriginal = ReferenceEquals(plan.Unique[index], e) && isStored;
                var receivedAt = isStored ? plan.Unique[index].ReceivedAt : originals.GetValueOrDefault(e.Id, e.ReceivedAt);
                outcomes[i] = new AppendOutcome(e.Id, receivedAt, Duplicate: !isOriginal);
            }
            append.Outcome.TrySetResult(outcomes);
        }
    }

    /// <summary>Starts moving the head over ended commits unless that is under way.</summary>
    private void EnsureAdvancing()
    {
        if ((_advancing is null || _advancing.IsCompleted) && _finished.Through > _head) _advancing = AdvanceAsync();
    }

    /// <summary>
    /// Moves the head over the contiguous run of ended commits, one statement at a time, and hands their
    /// events to the dispatcher. A failure leaves them for the maintenance timer; a head that is not
    /// where this activation left it means the activation is stale (or cannot tell): it steps down.
    /// </summary>
    private async Task AdvanceAsync()
    {
        while (_finished.Through > _head)
        {
            var to = _finished.Through;
            bool moved;
            try
            {
                moved = await heads.AdvanceAsync(TenantId, _epoch, _head, to, _finished.EarliestReceivedUpTo(to));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogAdvanceFailed(ex, TenantId, _head);
                return;
            }
            if (!moved)
            {
                LogFenced(TenantId, _epoch);
                StepDown("The tenant's event log moved to another activation; retry.");
                return;
            }
            _head = to;
            foreach (var segment in _finished.RemoveUpTo(to)) _dispatcher.Committed(segment.From, segment.Through, segment.Events);
        }
    }

    /// <summary>Stops taking appends, fails those waiting, and leaves the log to a new activation, which claims it.</summary>
    private void StepDown(string why)
    {
        if (_steppingDown is not null) return;
        _steppingDown = why;
        while (_pending.TryDequeue(out var waiting))
        {
            _pendingEvents -= waiting.Events.Length;
            metrics.Pending(-waiting.Events.Length);
            waiting.Outcome.TrySetException(new StorageUnavailableException(why));
        }
        DeactivateOnIdle();
    }

    private async Task<Dictionary<Guid, DateTimeOffset>> ReceivedAtOfDuplicatesAsync(List<EventRecord> unique, long first, HashSet<long> inserted)
    {
        if (inserted.Count == unique.Count) return [];
        var ids = new List<Guid>();
        for (var i = 0; i < unique.Count; i++)
        {
            if (!inserted.Contains(first + i)) ids.Add(unique[i].Id);
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
        if (_steppingDown is null) EnsureAdvancing();
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

    /// <summary>What one batch writes, and what it refuses before writing.</summary>
    private sealed class CommitPlan
    {
        public List<EventRecord> Unique { get; } = [];

        public Dictionary<Guid, int> FirstIndex { get; } = [];

        public Dictionary<Guid, EventRefusal> OverCap { get; } = [];
    }

    /// <summary>One caller's events and the answer it waits for.</summary>
    private sealed class PendingAppend(EventRecord[] events)
    {
        public EventRecord[] Events { get; } = events;

        public TaskCompletionSource<AppendOutcome[]> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: another activation claimed the log (this one had epoch {Epoch}); this one steps down")]
    private partial void LogFenced(string tenant, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: the commit from sequence number {First} failed or was not confirmed; stepping down")]
    private partial void LogCommitFailed(Exception ex, string tenant, long first);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: moving the log head from {Head} failed; retrying")]
    private partial void LogAdvanceFailed(Exception ex, string tenant, long head);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {Tenant}: counted commits of an earlier activation, moving the head from {Head} to {Highest}")]
    private partial void LogCaughtUp(string tenant, long head, long highest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: PostgreSQL refused {Events} events of a commit, which were answered alone; the first: {Reason}")]
    private partial void LogRefused(string tenant, int events, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: a commit of {Events} events took {Milliseconds:F0} ms")]
    private partial void LogSlowCommit(string tenant, int events, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: could not read the receipt times of duplicates")]
    private partial void LogDuplicateLookupFailed(Exception ex, string tenant);
}
