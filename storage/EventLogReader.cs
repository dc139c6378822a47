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
    /// For each (tenant, user, after) asked: the tenant's head and the user's events past after up to it, all
    /// in one statement and so one snapshot (no transaction, one round trip for many activations). A row
    /// with null seq for a user with none; no row for a tenant that does not exist.
    /// </summary>
    internal const string UsersLogSql = """
        SELECT r.i::int, t.log_head, e.seq, e.type, e.status, e.occurred_at, e.duration_ms
        FROM unnest(@tenant::text[], @user::text[], @after::bigint[]) WITH ORDINALITY AS r(tenant_id, user_id, after, i)
        JOIN tenants t ON t.tenant_id = r.tenant_id
        LEFT JOIN LATERAL (
            SELECT seq, type, status, occurred_at, duration_ms
            FROM events
            WHERE events.tenant_id = r.tenant_id AND events.user_id = r.user_id
              AND events.seq > r.after AND events.seq <= t.log_head
            ORDER BY seq) e ON true
        ORDER BY r.i, e.seq
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

    /// <summary>A user's log as a metrics grain's activation reads it: the tenant's head and the user's events up to it.</summary>
    public sealed record UserLog(long Head, List<CountedEvent> Events);

    /// <summary>Which user's log to read: their events with seq above <paramref name="After"/>.</summary>
    public readonly record struct UserLogRequest(string TenantId, string UserId, long After);

    /// <summary>
    /// In one snapshot, for each request: the tenant's head and the user's events after its position, in
    /// order. Every event of the user at or below the head is in the answer or was at or below the position;
    /// none above the head is (those may be stored and not yet handed on: the log hands them on later).
    /// Head 0 and no events for a tenant that does not exist.
    /// </summary>
    public async Task<UserLog[]> ReadUsersLogsAsync(IReadOnlyList<UserLogRequest> requests, CancellationToken cancellationToken = default)
    {
        var n = requests.Count;
        var tenants = new string[n];
        var users = new string[n];
        var after = new long[n];
        var logs = new UserLog[n];
        for (var i = 0; i < n; i++)
        {
            (tenants[i], users[i], after[i]) = (requests[i].TenantId, requests[i].UserId, requests[i].After);
            logs[i] = new UserLog(0, []);
        }

        await using var command = dataSource.CreateCommand(UsersLogSql);
        command.Parameters.AddWithValue("tenant", tenants);
        command.Parameters.AddWithValue("user", users);
        command.Parameters.AddWithValue("after", after);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var i = reader.GetInt32(0) - 1;
            if (logs[i].Head == 0) logs[i] = logs[i] with { Head = reader.GetInt64(1) };
            if (reader.IsDBNull(2)) continue;
            logs[i].Events.Add(new CountedEvent(
                reader.GetInt64(2),
                reader.GetString(3),
                EventBatchWriter.ParseStatus(reader.IsDBNull(4) ? null : reader.GetString(4)),
                new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero),
                reader.IsDBNull(6) ? null : reader.GetDouble(6)));
        }
        return logs;
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
