using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// One user's live metrics. State survives deactivation as a snapshot in grain storage, written on
/// deactivation and after every few hundred events; on activation the user's events past the
/// snapshot are replayed from the event log, so a snapshot lost with a killed silo costs only a
/// longer replay. No timer: an idle user's grain costs nothing but its memory until collected.
/// </summary>
public sealed class UserMetricsGrain(
    [PersistentState("user-metrics", StorageNames.Grains)] IPersistentState<UserMetricsState> snapshot,
    EventLogReader log,
    TimeProvider clock)
    : Grain, IUserMetricsGrain
{
    /// <summary>Events counted between two snapshots at most, which bounds the replay after a crash.</summary>
    private const int SnapshotEveryEvents = 500;
    private readonly MetricsAggregate _metrics = new(keepDays: false, cacheWindows: false);
    private int _unsaved;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var state = snapshot.State;
        foreach (var cell in state.Cells) _metrics.Load((SeriesBucketKind)cell.Kind, cell.Index, cell.Type, cell.Totals);
        _metrics.LoadSeen(state.FirstSeen, state.LastSeen);
        _metrics.AppliedSeq = state.AppliedSeq;
        state.Cells = []; // the aggregate holds them now

        var (tenantId, userId) = UserKey.Parse(this.GetPrimaryKeyString());
        var (head, events) = await log.ReadUserLogAsync(tenantId, userId, state.AppliedSeq, cancellationToken);
        _unsaved = _metrics.Apply(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));
        _metrics.AppliedSeq = Math.Max(_metrics.AppliedSeq, head);
        _metrics.Prune(clock.GetUtcNow());
        _metrics.TrimExcess();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        _unsaved > 0 ? SaveAsync(cancellationToken) : Task.CompletedTask;

    public async Task ApplyAsync(CountedEvent[] events)
    {
        _unsaved += _metrics.Apply(events);
        _metrics.Prune(clock.GetUtcNow());
        if (_unsaved >= SnapshotEveryEvents) await SaveAsync(CancellationToken.None);
    }

    public Task<UserMetrics> GetAsync(MetricsWindow window)
    {
        var now = clock.GetUtcNow();
        var totals = _metrics.Totals(window, now, out var from);
        var categories = _metrics.Categories(window, now, out _);
        return Task.FromResult(new UserMetrics(from, now, totals, categories, _metrics.FirstSeen, _metrics.LastSeen));
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        var state = new UserMetricsState
        {
            AppliedSeq = _metrics.AppliedSeq,
            FirstSeen = _metrics.FirstSeen,
            LastSeen = _metrics.LastSeen,
        };
        foreach (var (kind, index, type, totals) in _metrics.Export()) state.Cells.Add(new UserMetricsCell((byte)kind, index, type, totals));
        snapshot.State = state;
        await snapshot.WriteStateAsync(cancellationToken);
        _metrics.TrimExcess();
        state.Cells = [];
        _unsaved = 0;
    }
}
