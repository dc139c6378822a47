using Microsoft.Extensions.Logging;
using Telemetry.Observability;
using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// A tenant's alert rules, evaluated in memory on the totals its metrics grain holds: when that grain counts new events
/// (at most every <see cref="Throttle"/>) and on a timer for what time alone changes (silence, windows that empty).
/// Each change of a rule's state is stored with its deliveries in one statement, numbered, so that two activations of
/// this grain (a silo declared dead while still running) record it once.
/// </summary>
public sealed partial class TenantAlertsGrain(
    AlertRuleStore store, AlertDeliverySignal deliveries, AlertMetrics metrics, TimeProvider clock, ILogger<TenantAlertsGrain> logger)
    : Grain, ITenantAlertsGrain
{
    /// <summary>Least time between two evaluations for new events: a burst of commits costs four evaluations a second.</summary>
    private static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest time between two evaluations, which also renews the watch on the metrics grain.</summary>
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    private StoredAlertRule[] _rules = [];
    private AlertInput[] _inputs = [];
    private int[] _inputOfRule = [];
    private DateTimeOffset _lastEvaluation = DateTimeOffset.MinValue;
    private DateTimeOffset _lastEventSeen;
    private bool _eventsSinceEvaluation;
    private IGrainTimer? _timer;

    private string TenantId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Silence is measured from here until the metrics name a later event.
        _lastEventSeen = clock.GetUtcNow();
        await LoadAsync(cancellationToken);
    }

    public async Task RulesChangedAsync()
    {
        await LoadAsync(CancellationToken.None);
        await EvaluateAsync();
    }

    /// <summary>Also reads the rules again: a change the gateway could not announce is taken here (<c>Alerts:WakeInterval</c>).</summary>
    public Task WakeAsync() => LoadAsync(CancellationToken.None);

    public Task MetricsChangedAsync()
    {
        _eventsSinceEvaluation = true;
        return clock.GetUtcNow() - _lastEvaluation >= Throttle ? EvaluateAsync() : Task.CompletedTask;
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        _rules = [.. (await store.ListAsync(TenantId, cancellationToken)).Where(r => r.Rule.Enabled)];
        // Rules that read the same window and category share one input.
        var inputs = new List<AlertInput>();
        _inputOfRule = new int[_rules.Length];
        for (var i = 0; i < _rules.Length; i++)
        {
            var input = new AlertInput(_rules[i].Rule.Window, _rules[i].Rule.Category);
            var index = inputs.IndexOf(input);
            if (index < 0) inputs.Add(input);
            _inputOfRule[i] = index < 0 ? inputs.Count - 1 : index;
        }
        _inputs = [.. inputs];
        if (_rules.Length == 0)
        {
            _timer?.Dispose();
            _timer = null;
            DeactivateOnIdle();
            return;
        }
        // Kept alive while there are rules: a quiet tenant's silence rule has nothing else to wake it.
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(Throttle, Throttle) { KeepAlive = true });
    }

    private Task TickAsync(CancellationToken cancellationToken) =>
        _eventsSinceEvaluation || clock.GetUtcNow() - _lastEvaluation >= Refresh ? EvaluateAsync() : Task.CompletedTask;

    private async Task EvaluateAsync()
    {
        if (_rules.Length == 0) return;
        _eventsSinceEvaluation = false;
        var reading = await GrainFactory.GetGrain<ITenantMetricsGrain>(TenantId).ReadForAlertsAsync(_inputs);
        _lastEvaluation = reading.AsOf;
        if (reading.LastEventAt is { } last && last > _lastEventSeen) _lastEventSeen = last;
        var silence = Math.Max(0, (reading.AsOf - _lastEventSeen).TotalSeconds);
        for (var i = 0; i < _rules.Length; i++)
        {
            var (rule, state, transitions) = (_rules[i].Rule, _rules[i].State, _rules[i].Transitions);
            var totals = reading.Totals[_inputOfRule[i]];
            var value = AlertEvaluation.Value(rule.Metric, totals, silence);
            var eventSinceChange = reading.LastEventAt is { } seen && seen > (_rules[i].StateChangedAt ?? DateTimeOffset.MinValue);
            var next = AlertEvaluation.Next(rule, state, value, totals.Count, eventSinceChange);
            if (next == state) continue;
            var body = AlertMessage.Write(TenantId, rule, next, value, totals.Count, transitions + 1, reading.AsOf);
            if (!await store.RecordTransitionAsync(TenantId, rule.Id, transitions, next, value, body))
            {
                // Another activation recorded a change first (or the rule changed): take the stored states and stop here.
                await LoadAsync(CancellationToken.None);
                return;
            }
            _rules[i] = _rules[i] with { State = next, Transitions = transitions + 1, StateChangedAt = reading.AsOf };
            metrics.AlertChanged(TenantId, AlertNames.Announced(next));
            deliveries.Queued();
            LogChanged(TenantId, rule.Id, next, value);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert rule {Rule} of tenant {Tenant} is now {State} at {Value}")]
    private partial void LogChanged(string tenant, Guid rule, AlertState state, double? value);
}
