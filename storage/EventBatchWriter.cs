using Npgsql;
using NpgsqlTypes;
using Telemetry.Grains;

namespace Telemetry.Storage;

/// <summary>
/// Writes one group commit of a tenant's events: in a single statement (so atomically, in one
/// round trip) it advances the tenant's log head from the head the writer expects, claims the
/// events' ids in <c>event_ids</c>, inserts the events whose id was new, and adds them to the
/// tenant's rollups.
/// </summary>
public sealed class EventBatchWriter(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// The fence makes every other CTE empty when the head moved: a stale writer inserts nothing.
    /// Rollup buckets are cut in UTC whatever the session's time zone.
    /// </summary>
    internal const string AppendSql = """
        WITH fence AS (
            UPDATE tenants SET log_head = @new_head
            WHERE tenant_id = @tenant AND log_head = @expected_head
            RETURNING tenant_id),
        incoming AS (
            SELECT f.tenant_id, u.*
            FROM fence f,
                 unnest(@event_id::uuid[], @seq::bigint[], @type::text[], @status::text[], @user_id::text[],
                        @session_id::text[], @environment::text[], @occurred_at::timestamptz[],
                        @received_at::timestamptz[], @duration_ms::float8[], @properties::text[])
                 AS u(event_id, seq, type, status, user_id, session_id, environment,
                      occurred_at, received_at, duration_ms, properties)),
        new_ids AS (
            INSERT INTO event_ids (tenant_id, event_id, seq, received_at)
            SELECT tenant_id, event_id, seq, received_at FROM incoming
            ON CONFLICT (tenant_id, event_id) DO NOTHING
            RETURNING event_id),
        inserted AS (
            INSERT INTO events (tenant_id, event_id, seq, type, status, user_id, session_id, environment,
                                occurred_at, received_at, duration_ms, properties)
            SELECT i.tenant_id, i.event_id, i.seq, i.type, i.status, i.user_id, i.session_id, i.environment,
                   i.occurred_at, i.received_at, i.duration_ms, i.properties::jsonb
            FROM incoming i JOIN new_ids n ON n.event_id = i.event_id
            RETURNING seq, type, status, occurred_at, duration_ms),
        rolled AS (
            INSERT INTO tenant_rollups AS r (tenant_id, granularity, bucket_start, type,
                                             count, success, failure, duration_sum, duration_count)
            SELECT @tenant, b.granularity, b.bucket_start, i.type,
                   count(*), count(*) FILTER (WHERE i.status = 'success'), count(*) FILTER (WHERE i.status = 'failure'),
                   coalesce(sum(i.duration_ms), 0), count(i.duration_ms)
            FROM inserted i
            CROSS JOIN LATERAL (VALUES (0::smallint, 'epoch'::timestamptz),
                                       (1::smallint, date_trunc('minute', i.occurred_at, 'UTC')),
                                       (2::smallint, date_trunc('hour', i.occurred_at, 'UTC')),
                                       (3::smallint, date_trunc('day', i.occurred_at, 'UTC')))
                 AS b(granularity, bucket_start)
            GROUP BY b.granularity, b.bucket_start, i.type
            ON CONFLICT (tenant_id, granularity, bucket_start, type) DO UPDATE SET
                count = r.count + excluded.count,
                success = r.success + excluded.success,
                failure = r.failure + excluded.failure,
                duration_sum = r.duration_sum + excluded.duration_sum,
                duration_count = r.duration_count + excluded.duration_count
            RETURNING 1)
        SELECT (SELECT count(*) FROM fence)::int, coalesce((SELECT array_agg(seq) FROM inserted), '{}'::bigint[])
        """;

    /// <summary>Creates the weekly partition of <c>events</c> holding an instant, when it is missing.</summary>
    internal const string EnsurePartitionSql = "SELECT telemetry_ensure_event_partition(@at)";

    /// <summary>What a group commit did.</summary>
    /// <param name="Fenced">False when the head was not the expected one: nothing was written.</param>
    /// <param name="InsertedSeqs">The sequence numbers of the events stored; the others were duplicates.</param>
    public sealed record Result(bool Fenced, HashSet<long> InsertedSeqs);

    /// <summary>
    /// Appends <paramref name="events"/> with sequence numbers <paramref name="expectedHead"/> + 1 onward.
    /// The ids must be distinct within the batch.
    /// </summary>
    public async Task<Result> AppendAsync(string tenantId, long expectedHead, IReadOnlyList<EventRecord> events, CancellationToken cancellationToken = default)
    {
        var n = events.Count;
        var ids = new Guid[n];
        var seqs = new long[n];
        var types = new string[n];
        var statuses = new string?[n];
        var users = new string?[n];
        var sessions = new string?[n];
        var environments = new string?[n];
        var occurred = new DateTime[n];
        var received = new DateTime[n];
        var durations = new double?[n];
        var properties = new string[n];
        for (var i = 0; i < n; i++)
        {
            var e = events[i];
            ids[i] = e.Id;
            seqs[i] = expectedHead + 1 + i;
            types[i] = e.Type;
            statuses[i] = StatusText(e.Status);
            users[i] = e.UserId;
            sessions[i] = e.SessionId;
            environments[i] = e.Environment;
            occurred[i] = e.Timestamp.UtcDateTime;
            received[i] = e.ReceivedAt.UtcDateTime;
            durations[i] = e.DurationMs;
            properties[i] = e.Properties;
        }

        await using var command = dataSource.CreateCommand(AppendSql);
        var p = command.Parameters;
        p.AddWithValue("tenant", tenantId);
        p.AddWithValue("expected_head", expectedHead);
        p.AddWithValue("new_head", expectedHead + n);
        p.AddWithValue("event_id", ids);
        p.AddWithValue("seq", seqs);
        p.AddWithValue("type", types);
        p.Add(new NpgsqlParameter("status", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = statuses });
        p.Add(new NpgsqlParameter("user_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = users });
        p.Add(new NpgsqlParameter("session_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = sessions });
        p.Add(new NpgsqlParameter("environment", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = environments });
        p.AddWithValue("occurred_at", occurred);
        p.AddWithValue("received_at", received);
        p.Add(new NpgsqlParameter("duration_ms", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = durations });
        p.AddWithValue("properties", properties);

        try
        {
            return await ExecuteAsync(command, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.CheckViolation && ex.Message.Contains("no partition", StringComparison.Ordinal))
        {
            // The statement failed whole, so nothing was written: make the weeks and run it again.
            // Partitions are normally made ahead of time by the silos' maintenance.
            foreach (var week in received.Select(r => r.Date).Distinct()) await EnsurePartitionAsync(week, cancellationToken);
            return await ExecuteAsync(command, cancellationToken);
        }
    }

    /// <summary>Creates the weekly partition of <c>events</c> holding <paramref name="at"/>, when it is missing.</summary>
    public async Task EnsurePartitionAsync(DateTime at, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(EnsurePartitionSql);
        command.Parameters.AddWithValue("at", DateTime.SpecifyKind(at, DateTimeKind.Utc));
        await command.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task<Result> ExecuteAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var fenced = reader.GetInt32(0) == 1;
        var inserted = reader.GetFieldValue<long[]>(1);
        return new Result(fenced, [.. inserted]);
    }

    internal static string? StatusText(EventStatus? status) => status switch
    {
        EventStatus.Success => "success",
        EventStatus.Failure => "failure",
        _ => null,
    };

    internal static EventStatus? ParseStatus(string? text) => text switch
    {
        "success" => EventStatus.Success,
        "failure" => EventStatus.Failure,
        _ => null,
    };
}
