using Npgsql;

namespace Telemetry.Storage;

/// <summary>
/// A tenant's log head and its writer's claim. The head is the watermark below which every commit has
/// ended and is counted in <c>tenant_rollups</c>: the writer moves it over each contiguous run of its
/// finished commits, in the same statement that adds them to the rollups, so that a reader that takes
/// the head and the rollups (or a user's events up to the head) in one snapshot sees each event once.
/// </summary>
public sealed class EventLogHeadStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// FOR UPDATE waits for every commit of the previous writer (they hold FOR KEY SHARE on the row) and
    /// keeps new ones out until the claim commits; after it, their fence sees the new epoch.
    /// </summary>
    internal const string ClaimSql = """
        WITH locked AS (SELECT tenant_id FROM tenants WHERE tenant_id = @tenant FOR UPDATE)
        UPDATE tenants t SET log_epoch = t.log_epoch + 1
        FROM locked l WHERE t.tenant_id = l.tenant_id
        RETURNING t.log_epoch, t.log_head
        """;

    /// <summary>Run after the claim's lock is held, in a statement of its own: its snapshot then sees every commit of the old writer.</summary>
    internal const string HighestSeqSql = "SELECT max(seq) FROM events WHERE tenant_id = @tenant";

    /// <summary>
    /// Moves the head from @from to @to and adds the events stored in between to the rollups, read back
    /// by the (tenant, seq) index; @received_from, when known, lets PostgreSQL skip older weeks' partitions.
    /// Nothing happens when another writer claimed the log or the head is not where this writer left it.
    /// Rollup buckets are cut in UTC whatever the session's time zone. Its commit does not wait for the WAL
    /// flush (synchronous_commit off for this transaction alone): the head and the rollups are derived from
    /// events already durable, and a head lost in a crash is moved again by the next claim, which counts
    /// everything between the head and the highest stored seq.
    /// </summary>
    internal const string AdvanceSql = """
        WITH head AS (
            UPDATE tenants SET log_head = @to
            WHERE tenant_id = @tenant AND log_epoch = @epoch AND log_head = @from
            RETURNING tenant_id),
        counted AS (
            SELECT e.type, e.status, e.occurred_at, e.duration_ms
            FROM head h
            JOIN events e ON e.tenant_id = h.tenant_id
            WHERE e.seq > @from AND e.seq <= @to AND e.received_at >= coalesce(@received_from, '-infinity'::timestamptz)),
        rolled AS (
            INSERT INTO tenant_rollups AS r (tenant_id, granularity, bucket_start, type,
                                             count, success, failure, duration_sum, duration_count)
            SELECT @tenant, b.granularity, b.bucket_start, c.type,
                   count(*), count(*) FILTER (WHERE c.status = 'success'), count(*) FILTER (WHERE c.status = 'failure'),
                   coalesce(sum(c.duration_ms), 0), count(c.duration_ms)
            FROM counted c
            CROSS JOIN LATERAL (VALUES (0::smallint, 'epoch'::timestamptz),
                                       (1::smallint, date_trunc('minute', c.occurred_at, 'UTC')),
                                       (2::smallint, date_trunc('hour', c.occurred_at, 'UTC')),
                                       (3::smallint, date_trunc('day', c.occurred_at, 'UTC')))
                 AS b(granularity, bucket_start)
            GROUP BY b.granularity, b.bucket_start, c.type
            ON CONFLICT (tenant_id, granularity, bucket_start, type) DO UPDATE SET
                count = r.count + excluded.count,
                success = r.success + excluded.success,
                failure = r.failure + excluded.failure,
                duration_sum = r.duration_sum + excluded.duration_sum,
                duration_count = r.duration_count + excluded.duration_count
            RETURNING 1)
        SELECT (SELECT count(*) FROM head)::int, (SELECT count(*) FROM rolled)::int,
               set_config('synchronous_commit', 'off', true)
        """;

    /// <summary>What a claim found: the writer's epoch, the head, and the highest sequence number stored (at least the head).</summary>
    public sealed record Claim(long Epoch, long Head, long HighestSeq);

    /// <summary>
    /// Makes the caller the tenant's one writer, once every commit of the previous writer ended (at most
    /// <paramref name="lockTimeout"/>; past it, PostgreSQL's lock timeout error). Null when there is no such tenant.
    /// </summary>
    public async Task<Claim?> ClaimAsync(string tenantId, TimeSpan lockTimeout, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var timeout = new NpgsqlCommand("SELECT set_config('lock_timeout', @timeout, true)", connection, transaction))
        {
            timeout.Parameters.AddWithValue("timeout", $"{(int)lockTimeout.TotalMilliseconds}ms");
            await timeout.ExecuteNonQueryAsync(cancellationToken);
        }

        long epoch, head;
        await using (var claim = new NpgsqlCommand(ClaimSql, connection, transaction))
        {
            claim.Parameters.AddWithValue("tenant", tenantId);
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            (epoch, head) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        long highest;
        await using (var max = new NpgsqlCommand(HighestSeqSql, connection, transaction))
        {
            max.Parameters.AddWithValue("tenant", tenantId);
            highest = await max.ExecuteScalarAsync(cancellationToken) is long seq ? Math.Max(seq, head) : head;
        }
        await transaction.CommitAsync(cancellationToken);
        return new Claim(epoch, head, highest);
    }

    /// <summary>
    /// Moves the head from <paramref name="from"/> to <paramref name="to"/>, counting the events stored in
    /// between into the rollups. Every commit in that range must have ended. False when the head was not
    /// at <paramref name="from"/> or another writer claimed the log: nothing changed.
    /// </summary>
    public async Task<bool> AdvanceAsync(string tenantId, long epoch, long from, long to, DateTimeOffset? receivedFrom, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(AdvanceSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("epoch", epoch);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        command.Parameters.Add(new NpgsqlParameter("received_from", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = receivedFrom is { } at ? at.UtcDateTime : DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetInt32(0) == 1;
    }
}
