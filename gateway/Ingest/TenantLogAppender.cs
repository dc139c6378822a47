using System.Collections.Concurrent;

namespace Telemetry.Gateway.Ingest;

/// <summary>
/// Appends to a tenant's event log, coalescing the appends that this gateway's requests make at the same
/// time into one grain call. The log commits what waits together anyway (group commit); coalescing here
/// spares each single event its own Orleans request and response, which cost more than its share of the
/// commit. At most <see cref="IngestOptions.AppendCallsInFlight"/> calls per tenant are in flight, so that
/// the log always has the next group queued while it commits one; the rest wait and go together (see that
/// setting for what it did in the bench).
/// </summary>
public sealed class TenantLogAppender(IClusterClient cluster, IOptions<IngestOptions> options)
{
    private readonly ConcurrentDictionary<string, TenantQueue> _queues = new(StringComparer.Ordinal);
    private readonly IngestOptions _options = options.Value;

    /// <summary>One outcome per record, in order; the log's exceptions as the grain threw them.</summary>
    public Task<AppendOutcome[]> AppendAsync(string tenantId, EventRecord[] records)
    {
        if (_options.AppendCallsInFlight <= 0) return cluster.GetGrain<ITenantEventLogGrain>(tenantId).AppendAsync(records);
        var queue = _queues.GetOrAdd(tenantId, id => new TenantQueue(cluster.GetGrain<ITenantEventLogGrain>(id), _options));
        return queue.AppendAsync(records);
    }

    /// <summary>The appends of one tenant waiting for a grain call.</summary>
    private sealed class TenantQueue(ITenantEventLogGrain log, IngestOptions options)
    {
        private readonly Queue<Waiting> _waiting = new();
        private int _inFlight;

        public Task<AppendOutcome[]> AppendAsync(EventRecord[] records)
        {
            var waiting = new Waiting(records);
            lock (_waiting)
            {
                _waiting.Enqueue(waiting);
                if (_inFlight >= options.AppendCallsInFlight) return waiting.Outcome.Task;
                _inFlight++;
            }
            _ = CallAsync();
            return waiting.Outcome.Task;
        }

        /// <summary>Sends what waits, call after call, until nothing does.</summary>
        private async Task CallAsync()
        {
            while (true)
            {
                var group = new List<Waiting>();
                var events = 0;
                lock (_waiting)
                {
                    while (_waiting.TryPeek(out var next) && (group.Count == 0 || events + next.Records.Length <= options.MaxCoalescedEvents))
                    {
                        group.Add(_waiting.Dequeue());
                        events += next.Records.Length;
                    }
                    if (group.Count == 0)
                    {
                        _inFlight--;
                        return;
                    }
                }
                await SendAsync(group, events);
            }
        }

        private async Task SendAsync(List<Waiting> group, int events)
        {
            try
            {
                if (group.Count == 1)
                {
                    group[0].Outcome.TrySetResult(await log.AppendAsync(group[0].Records));
                    return;
                }
                var records = new EventRecord[events];
                var at = 0;
                foreach (var waiting in group)
                {
                    waiting.Records.CopyTo(records, at);
                    at += waiting.Records.Length;
                }
                var outcomes = await log.AppendAsync(records);
                at = 0;
                foreach (var waiting in group)
                {
                    waiting.Outcome.TrySetResult(outcomes[at..(at + waiting.Records.Length)]);
                    at += waiting.Records.Length;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                foreach (var waiting in group) waiting.Outcome.TrySetException(ex);
            }
        }
    }

    private sealed class Waiting(EventRecord[] records)
    {
        public EventRecord[] Records { get; } = records;

        public TaskCompletionSource<AppendOutcome[]> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
