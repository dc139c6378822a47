using Orleans.Storage;
using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// One user's live metrics. State survives deactivation as a snapshot in grain storage, written on
/// deactivation and after every few hundred events; on activation the user's events past the
/// snapshot are replayed from the event log, so a snapshot lost with a killed silo costs only a
/// longer replay. No timer: an idle user's grain costs nothing but its memory until collected.
/// When Orleans migrates the grain (a silo shutting down, rebalancing) the live aggregate travels
/// with it, so nothing waits on storage and nothing counted since the last snapshot is dropped.
/// </summary>
public sealed class UserMetricsGrain(
    [PersistentState("user-metrics", StorageNames.UserGrains)] IPersistentState<UserMetricsState> snapshot,
    UserLogBatchReader log,
    TimeProvider clock)
    : Grain, IUserMetricsGrain, IGrainMigrationParticipant
{
    /// <summary>Events counted between two snapshots at most, which bounds the replay after a crash.</summary>
    private const int SnapshotEveryEvents = 500;
    private const string MigratedState = "telemetry.user-metrics";
    private const string MigratedUnsaved = "telemetry.user-metrics.unsaved";
    private MetricsAggregate _metrics = new(keepDays: false, cacheWindows: false);
    private int _unsaved;
    private UserMetricsState? _migrated;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var state = _migrated ?? snapshot.State;
        _migrated = null;
        foreach (var cell in state.Cells) _metrics.Load((BucketKind)cell.Kind, cell.Index, cell.Type, cell.Totals);
        _metrics.LoadSeen(state.FirstSeen, state.LastSeen);
        _metrics.AppliedSeq = state.AppliedSeq;
        ReleaseSnapshot();

        var (tenantId, userId) = UserKey.Parse(this.GetPrimaryKeyString());
        var (head, events) = await log.ReadAsync(tenantId, userId, state.AppliedSeq, cancellationToken);
        _unsaved += _metrics.Apply(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));
        _metrics.AppliedSeq = Math.Max(_metrics.AppliedSeq, head);
        _metrics.Prune(clock.GetUtcNow());
        _metrics.TrimExcess();
        // Events above the head reach this grain from the log, which must be running to hand them on.
        await GrainFactory.GetGrain<ITenantEventLogGrain>(tenantId).WakeAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        _unsaved > 0 ? SaveAsync(cancellationToken) : Task.CompletedTask;

    public async Task ApplyAsync(CountedEvent[] events)
    {
        _unsaved += _metrics.Apply(events);
        _metrics.Prune(clock.GetUtcNow());
        if (_unsaved >= SnapshotEveryEvents) await SaveAsync(CancellationToken.None);
    }

    public async Task RecountAsync()
    {
        var (tenantId, userId) = UserKey.Parse(this.GetPrimaryKeyString());
        // From the start of the log: events the erasure left (later ones of the same user id) count again, up to the
        // head; the log hands on those above it, and skips for this grain any at or below it. Counted apart and swapped
        // in once read: a failed read leaves this activation to be replaced, never to save half an aggregate.
        EventLogReader.UserLog read;
        try
        {
            read = await log.ReadAsync(tenantId, userId, 0);
        }
        catch
        {
            _unsaved = 0; // what it holds may be what was erased: never saved
            DeactivateOnIdle();
            throw;
        }
        var metrics = new MetricsAggregate(keepDays: false, cacheWindows: false);
        _unsaved = metrics.Apply(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(read.Events));
        metrics.AppliedSeq = Math.Max(metrics.AppliedSeq, read.Head);
        metrics.Prune(clock.GetUtcNow());
        _metrics = metrics;
        if (_unsaved > 0)
        {
            await SaveAsync(CancellationToken.None);
            return;
        }
        snapshot.State = new UserMetricsState();
        await snapshot.ClearStateAsync();
        // An empty aggregate that knows its place in the log: the snapshot it would write holds nothing of the user.
        ReleaseSnapshot();
    }

    public Task<UserMetrics> GetAsync(MetricsWindow window)
    {
        var now = clock.GetUtcNow();
        var totals = _metrics.Totals(window, now, out var from);
        var categories = _metrics.Categories(window, now, out _);
        return Task.FromResult(new UserMetrics(from, now, totals, categories, _metrics.FirstSeen, _metrics.LastSeen));
    }

    /// <summary>Hands the live aggregate to the activation that replaces this one on another silo.</summary>
    public void OnDehydrate(IDehydrationContext dehydrationContext)
    {
        dehydrationContext.TryAddValue(MigratedState, Capture());
        dehydrationContext.TryAddValue(MigratedUnsaved, _unsaved);
    }

    /// <summary>Takes the aggregate a migrating activation handed over; <see cref="OnActivateAsync"/> loads it.</summary>
    public void OnRehydrate(IRehydrationContext rehydrationContext)
    {
        // Events the previous activation counted but could not store: this one saves them.
        if (rehydrationContext.TryGetValue(MigratedState, out _migrated)) rehydrationContext.TryGetValue(MigratedUnsaved, out _unsaved);
    }

    private UserMetricsState Capture()
    {
        var state = new UserMetricsState
        {
            AppliedSeq = _metrics.AppliedSeq,
            FirstSeen = _metrics.FirstSeen,
            LastSeen = _metrics.LastSeen,
        };
        foreach (var (kind, index, type, totals) in _metrics.Export()) state.Cells.Add(new UserMetricsCell((byte)kind, index, type, totals));
        return state;
    }

    /// <summary>
    /// Lets go of the stored cells once the aggregate holds them. What stays in the state holder must
    /// still be a true snapshot, because Orleans may carry it to another silo: an empty one (nothing
    /// applied) is, where the old position without its cells would skip events for good.
    /// </summary>
    private void ReleaseSnapshot() => snapshot.State = new UserMetricsState();

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        snapshot.State = Capture();
        try
        {
            await snapshot.WriteStateAsync(cancellationToken);
        }
        catch (InconsistentStateException)
        {
            // Another activation of this user wrote meanwhile: this one is the stale copy. A fresh
            // activation starts from that snapshot and replays the log past it.
            DeactivateOnIdle();
            throw;
        }
        finally
        {
            ReleaseSnapshot();
        }
        _metrics.TrimExcess();
        _unsaved = 0;
    }
}
