using System.Data;
using Npgsql;
using Telemetry.Grains;

namespace Telemetry.Storage;

/// <summary>Reads a tenant's log back: its head, the events past a sequence number, a user's share of it.</summary>
public sealed class EventLogReader(NpgsqlDataSource dataSource)
{
    internal const string HeadSql = "SELECT log_head FROM tenants WHERE tenant_id = @tenant";

    internal const string LogRangeSql = """
        SELECT seq, type, status, occurred_at, duration_ms, user_id
        FROM events
        WHERE tenant_id = @tenant AND seq > @after AND seq <= @up_to
        ORDER BY seq
        LIMIT @limit
        """;

    /// <summary>
    /// The head and the user's events up to it, in one statement and so one snapshot (no transaction, one
    /// round trip: it runs on every user grain's activation). A row with null seq when there are none.
    /// </summary>
    internal const string UserLogSql = """
        SELECT t.log_head, e.seq, e.type, e.status, e.occurred_at, e.duration_ms
        FROM tenants t
        LEFT JOIN LATERAL (
            SELECT seq, type, status, occurred_at, duration_ms
            FROM events
            WHERE tenant_id = @tenant AND user_id = @user AND seq > @after AND seq <= t.log_head
            ORDER BY seq) e ON true
        WHERE t.tenant_id = @tenant
        """;

    internal const string ReceivedAtSql = """
        SELECT event_id, received_at FROM event_ids WHERE tenant_id = @tenant AND event_id = ANY(@ids)
        """;

    /// <summary>Every type the tenant ever stored: one all-time rollup row each.</summary>
    internal const string TypesSql = """
        SELECT type FROM tenant_rollups WHERE tenant_id = @tenant AND granularity = 0
        """;

    /// <summary>One logged event as the metrics grains need it, with its user.</summary>
    public readonly record struct LoggedEvent(CountedEvent Event, string? UserId);

    /// <summary>The tenant's log head, or null when there is no such tenant.</summary>
    public async Task<long?> ReadHeadAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(HeadSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        var head = await command.ExecuteScalarAsync(cancellationToken);
        return head is long value ? value : null;
    }

    /// <summary>Up to <paramref name="limit"/> events with after &lt; seq &lt;= upTo, in order.</summary>
    public async Task<List<LoggedEvent>> ReadRangeAsync(string tenantId, long after, long upTo, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(LogRangeSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("up_to", upTo);
        command.Parameters.AddWithValue("limit", limit);
        var events = new List<LoggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new LoggedEvent(ReadCounted(reader), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return events;
    }

    /// <summary>
    /// In one snapshot: the tenant's head and the user's events after <paramref name="after"/>.
    /// Every event of the user at or below the head is in the answer or was at or below <paramref name="after"/>;
    /// none above the head is (those may be stored and not yet handed on: the log hands them on later).
    /// </summary>
    public async Task<(long Head, List<CountedEvent> Events)> ReadUserLogAsync(string tenantId, string userId, long after, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(UserLogSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.AddWithValue("after", after);
        long head = 0;
        var events = new List<CountedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            head = reader.GetInt64(0);
            if (reader.IsDBNull(1)) continue;
            events.Add(new CountedEvent(
                reader.GetInt64(1),
                reader.GetString(2),
                EventBatchWriter.ParseStatus(reader.IsDBNull(3) ? null : reader.GetString(3)),
                new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero),
                reader.IsDBNull(5) ? null : reader.GetDouble(5)));
        }
        return (head, events);
    }

    /// <summary>When each stored event of <paramref name="ids"/> was received.</summary>
    public async Task<Dictionary<Guid, DateTimeOffset>> ReadReceivedAtAsync(string tenantId, Guid[] ids, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ReceivedAtSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("ids", ids);
        var found = new Dictionary<Guid, DateTimeOffset>(ids.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found[reader.GetGuid(0)] = new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero);
        }
        return found;
    }

    /// <summary>The distinct types of the tenant's stored events.</summary>
    public async Task<HashSet<string>> ReadTypesAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(TypesSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        var types = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) types.Add(reader.GetString(0));
        return types;
    }

    private static CountedEvent ReadCounted(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        EventBatchWriter.ParseStatus(reader.IsDBNull(2) ? null : reader.GetString(2)),
        new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero),
        reader.IsDBNull(4) ? null : reader.GetDouble(4));
}
