using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// One user's live metrics. State survives deactivation as a snapshot in grain storage; on
/// activation the user's events past the snapshot are replayed from the event log, so a snapshot
/// lost with a killed silo costs only a longer replay.
/// </summary>
public sealed class UserMetricsGrain(
    [PersistentState("user-metrics", StorageNames.Grains)] IPersistentState<UserMetricsState> snapshot,
    EventLogReader log,
    TimeProvider clock)
    : Grain, IUserMetricsGrain
{
    private static readonly TimeSpan SnapshotEvery = TimeSpan.FromMinutes(5);
    private readonly MetricsAggregate _metrics = new(keepDays: false, cacheWindows: false);
    private long _savedSeq;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var state = snapshot.State;
        foreach (var cell in state.Cells) _metrics.Load((SeriesBucketKind)cell.Kind, cell.Index, cell.Type, cell.Totals);
        _metrics.LoadSeen(state.FirstSeen, state.LastSeen);
        _metrics.AppliedSeq = _savedSeq = state.AppliedSeq;

        var (tenantId, userId) = UserKey.Parse(this.GetPrimaryKeyString());
        var (head, events) = await log.ReadUserLogAsync(tenantId, userId, state.AppliedSeq, cancellationToken);
        _metrics.Apply(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));
        _metrics.AppliedSeq = Math.Max(_metrics.AppliedSeq, head);
        _metrics.Prune(clock.GetUtcNow());
        this.RegisterGrainTimer(SaveIfChangedAsync, SnapshotEvery, SnapshotEvery);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => SaveIfChangedAsync(cancellationToken);

    public Task ApplyAsync(CountedEvent[] events)
    {
        _metrics.Apply(events);
        return Task.CompletedTask;
    }

    public Task<UserMetrics> GetAsync(MetricsWindow window)
    {
        var now = clock.GetUtcNow();
        var totals = _metrics.Totals(window, now, out var from);
        var categories = _metrics.Categories(window, now, out _);
        return Task.FromResult(new UserMetrics(from, now, totals, categories, _metrics.FirstSeen, _metrics.LastSeen));
    }

    private async Task SaveIfChangedAsync(CancellationToken cancellationToken)
    {
        if (_metrics.AppliedSeq == _savedSeq) return;
        _metrics.Prune(clock.GetUtcNow());
        var state = new UserMetricsState
        {
            AppliedSeq = _metrics.AppliedSeq,
            FirstSeen = _metrics.FirstSeen,
            LastSeen = _metrics.LastSeen,
        };
        foreach (var (type, totals) in _metrics.AllTime) state.Cells.Add(new UserMetricsCell((byte)SeriesBucketKind.AllTime, 0, type, totals));
        foreach (var (cell, totals) in _metrics.Minutes) state.Cells.Add(new UserMetricsCell((byte)SeriesBucketKind.Minute, cell.Index, cell.Type, totals));
        foreach (var (cell, totals) in _metrics.Hours) state.Cells.Add(new UserMetricsCell((byte)SeriesBucketKind.Hour, cell.Index, cell.Type, totals));
        snapshot.State = state;
        await snapshot.WriteStateAsync(cancellationToken);
        _savedSeq = state.AppliedSeq;
    }
}
