using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// Hands a tenant's committed events, strictly in sequence order and none skipped, to the tenant's
/// and users' metrics grains. Events committed by this activation wait in memory; anything else
/// (a backlog after a crash, a queue that grew too long) is read back from the event log. A failed
/// round is retried from the same place, so a metrics grain never sees an event before the ones
/// before it. It runs inside its grain's turns, so it needs no locks.
/// </summary>
internal sealed partial class MetricsDispatcher(
    string tenantId,
    IGrainFactory grains,
    EventLogReader log,
    EventLogOptions options,
    ILogger logger)
{
    private readonly LinkedList<Segment> _queue = new();
    private int _queuedEvents;
    private Task? _running;

    /// <summary>Everything at or below this has reached every metrics grain.</summary>
    public long Dispatched { get; private set; }

    /// <summary>The log head: everything at or below it is committed.</summary>
    public long Head { get; private set; }

    public bool IsBehind => Dispatched < Head;

    public void Start(long dispatched, long head)
    {
        Dispatched = dispatched;
        Head = head;
        EnsureRunning();
    }

    /// <summary>Takes the events of the commit that moved the head from <paramref name="from"/> to <paramref name="through"/>.</summary>
    public void Committed(long from, long through, List<EventLogReader.LoggedEvent> inserted)
    {
        Head = through;
        _queue.AddLast(new Segment(from, through, inserted));
        _queuedEvents += inserted.Count;
        // Dropped segments are read back from PostgreSQL when their turn comes.
        while (_queuedEvents > options.MaxQueuedDispatchEvents && _queue.First is not null) DropFirst();
        EnsureRunning();
    }

    /// <summary>Starts a round of dispatch unless one is under way or nothing is waiting.</summary>
    public void EnsureRunning()
    {
        // A round can finish before RunAsync returns (nothing to await): check completion, not null.
        if ((_running is null || _running.IsCompleted) && IsBehind) _running = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            while (IsBehind)
            {
                var (through, events) = await NextAsync();
                if (!await TryDispatchAsync(events)) return; // the maintenance timer starts again from here
                Dispatched = through;
                while (_queue.First is { } first && first.Value.Through <= Dispatched) DropFirst();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReadBackFailed(ex, tenantId, Dispatched);
        }

    }

    /// <summary>The next events after <see cref="Dispatched"/> and the sequence number they reach.</summary>
    private async Task<(long Through, List<EventLogReader.LoggedEvent> Events)> NextAsync()
    {
        while (_queue.First is { } stale && stale.Value.Through <= Dispatched) DropFirst();

        if (_queue.First is { } first && first.Value.From == Dispatched)
        {
            // Merge queued commits into one round, up to the round's size.
            var events = new List<EventLogReader.LoggedEvent>(first.Value.Events);
            var through = first.Value.Through;
            for (var next = first.Next; next is not null && next.Value.From == through && events.Count + next.Value.Events.Count <= options.MaxDispatchEvents; next = next.Next)
            {
                events.AddRange(next.Value.Events);
                through = next.Value.Through;
            }
            return (through, events);
        }

        // A gap: read it back, up to the next queued commit or the head.
        var upTo = _queue.First?.Value.From ?? Head;
        var read = await log.ReadRangeAsync(tenantId, Dispatched, upTo, options.MaxDispatchEvents);
        var reached = read.Count == options.MaxDispatchEvents ? read[^1].Event.Seq : upTo;
        LogReadBack(tenantId, Dispatched, reached, read.Count);
        return (reached, read);
    }

    private async Task<bool> TryDispatchAsync(List<EventLogReader.LoggedEvent> events)
    {
        if (events.Count == 0) return true;
        try
        {
            var all = new CountedEvent[events.Count];
            var byUser = new Dictionary<string, List<CountedEvent>>(StringComparer.Ordinal);
            for (var i = 0; i < events.Count; i++)
            {
                all[i] = events[i].Event;
                if (events[i].UserId is { } user)
                {
                    ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(byUser, user, out _);
                    (list ??= []).Add(events[i].Event);
                }
            }

            var calls = new List<Task>(byUser.Count + 1) { grains.GetGrain<ITenantMetricsGrain>(tenantId).ApplyAsync(all) };
            foreach (var (user, userEvents) in byUser)
            {
                calls.Add(grains.GetGrain<IUserMetricsGrain>(UserKey.Format(tenantId, user)).ApplyAsync([.. userEvents]));
            }
            await Task.WhenAll(calls);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogDispatchFailed(ex, tenantId, Dispatched);
            return false;
        }
    }

    private void DropFirst()
    {
        _queuedEvents -= _queue.First!.Value.Events.Count;
        _queue.RemoveFirst();
    }

    /// <summary>The events one commit stored: sequence numbers from + 1 .. through, duplicates absent.</summary>
    private sealed record Segment(long From, long Through, List<EventLogReader.LoggedEvent> Events);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: handing events after {Seq} to the metrics grains failed; retrying")]
    private partial void LogDispatchFailed(Exception ex, string tenant, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant}: reading back the log after {Seq} failed; retrying")]
    private partial void LogReadBackFailed(Exception ex, string tenant, long seq);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {Tenant}: read back the log from {From} to {Through} ({Count} events) for the metrics grains")]
    private partial void LogReadBack(string tenant, long from, long through, int count);
}
