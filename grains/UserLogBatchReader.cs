using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Telemetry.Observability;
using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// Reads users' logs for activating metrics grains through one queue per process: at most
/// <see cref="UserLogReadOptions.MaxConcurrentReads"/> statements at once, each reading every user that
/// waits (up to <see cref="UserLogReadOptions.MaxUsersPerRead"/>). Activations that arrive together then
/// cost one round trip and one pooled connection between them instead of one each, and however many
/// arrive, they wait their turn here rather than for a connection that the pool times out.
/// </summary>
public sealed class UserLogBatchReader
{
    private readonly EventLogReader _reader;
    private readonly Queue<Waiting> _waiting = new();
    private readonly int _maxReads;
    private readonly int _maxUsers;
    private readonly Counter<long> _statements;
    private readonly Counter<long> _usersRead;
    private int _reading;

    public UserLogBatchReader(EventLogReader reader, IOptions<UserLogReadOptions> options, IMeterFactory meters)
    {
        _reader = reader;
        _maxReads = options.Value.MaxConcurrentReads;
        _maxUsers = options.Value.MaxUsersPerRead;
        var meter = meters.Create(IngestMetrics.MeterName);
        _statements = meter.CreateCounter<long>("telemetry.user_log.reads", "{statement}", "Statements that read users' logs for activating metrics grains.");
        _usersRead = meter.CreateCounter<long>("telemetry.user_log.users", "{user}", "Users' logs read for activating metrics grains.");
        meter.CreateObservableGauge("telemetry.user_log.waiting", () => WaitingCount, "{user}", "Activating users' metrics grains waiting for their log to be read.");
    }

    /// <summary>The tenant's head and the user's events after <paramref name="after"/> up to it (see <see cref="EventLogReader.ReadUsersLogsAsync"/>).</summary>
    public Task<EventLogReader.UserLog> ReadAsync(string tenantId, string userId, long after, CancellationToken cancellationToken = default)
    {
        var waiting = new Waiting(new EventLogReader.UserLogRequest(tenantId, userId, after));
        lock (_waiting)
        {
            _waiting.Enqueue(waiting);
            if (_reading < _maxReads)
            {
                _reading++;
                _ = Task.Run(ReadWhileWaitingAsync, CancellationToken.None);
            }
        }
        // A cancelled activation stops waiting; its read, if already sent, completes for nobody.
        return waiting.Log.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Activations waiting for their log to be read.</summary>
    public int WaitingCount
    {
        get { lock (_waiting) return _waiting.Count; }
    }

    private async Task ReadWhileWaitingAsync()
    {
        while (true)
        {
            var group = new List<Waiting>();
            lock (_waiting)
            {
                while (group.Count < _maxUsers && _waiting.TryDequeue(out var next)) group.Add(next);
                if (group.Count == 0)
                {
                    _reading--;
                    return;
                }
            }
            try
            {
                _statements.Add(1);
                _usersRead.Add(group.Count);
                var logs = await _reader.ReadUsersLogsAsync([.. group.Select(w => w.Request)]);
                for (var i = 0; i < group.Count; i++) group[i].Log.TrySetResult(logs[i]);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                foreach (var waiting in group) waiting.Log.TrySetException(ex);
            }
        }
    }

    private sealed class Waiting(EventLogReader.UserLogRequest request)
    {
        public EventLogReader.UserLogRequest Request { get; } = request;

        public TaskCompletionSource<EventLogReader.UserLog> Log { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
