using Npgsql;
using NpgsqlTypes;

namespace Telemetry.Storage;

/// <summary>The webhook deliveries waiting to be sent: claimed by one silo at a time, retried until delivered or given up.</summary>
public sealed class AlertDeliveryStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Claims due deliveries for @lease: another silo takes one again only if this one died before recording its outcome
    /// (at least once; the receiver tells repeats apart by their idempotency key). A change of state waits while an
    /// earlier one of its rule is pending for the same target, so that a receiver hears "firing" before "resolved".
    /// </summary>
    internal const string ClaimSql = """
        WITH due AS MATERIALIZED (
            SELECT delivery_id FROM alert_deliveries p
            WHERE p.status = 'pending' AND p.next_attempt_at <= now()
              AND NOT EXISTS (SELECT 1 FROM alert_deliveries e WHERE e.rule_id = p.rule_id AND e.target = p.target
                              AND e.status = 'pending' AND e.transition < p.transition)
            ORDER BY p.next_attempt_at LIMIT @limit FOR UPDATE SKIP LOCKED
        )
        UPDATE alert_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + @lease
        FROM due, alert_rules r
        WHERE d.delivery_id = due.delivery_id AND r.rule_id = d.rule_id AND r.tenant_id = d.tenant_id
        RETURNING d.delivery_id, d.tenant_id, d.rule_id, d.transition, d.target, d.body, d.attempts, r.secret
        """;

    /// <summary>An outcome counts only for the attempt that claimed the row: a silo that outlived its lease changes nothing.</summary>
    private const string ThisAttempt = " AND status = 'pending' AND attempts = @attempt";

    internal const string DeliveredSql = """
        UPDATE alert_deliveries SET status = 'delivered', last_status = @status, last_error = NULL, finished_at = now() WHERE delivery_id = @id
        """ + ThisAttempt;

    internal const string RetrySql = """
        UPDATE alert_deliveries SET last_status = @status, last_error = @error, next_attempt_at = now() + @delay WHERE delivery_id = @id
        """ + ThisAttempt;

    internal const string FailedSql = """
        UPDATE alert_deliveries SET status = 'failed', last_status = @status, last_error = @error, finished_at = now() WHERE delivery_id = @id
        """ + ThisAttempt;

    /// <summary>Deliveries that ended (delivered or failed) before @before: the history kept is bounded in time.</summary>
    internal const string PruneSql = "DELETE FROM alert_deliveries WHERE status <> 'pending' AND finished_at < @before";

    /// <summary>A delivery claimed for one attempt (its number: <see cref="Attempt"/>), with the secret that signs it.</summary>
    public sealed record Claimed(long Id, string TenantId, Guid RuleId, long Transition, string Target, string Body, int Attempt, string Secret)
    {
        /// <summary>The same on every attempt of this change of state, to every target: a receiver's key to ignore repeats.</summary>
        public string IdempotencyKey => $"{RuleId:N}-{Transition}";
    }

    public async Task<IReadOnlyList<Claimed>> ClaimAsync(int limit, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("lease", lease);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<Claimed>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new Claimed(reader.GetInt64(0), reader.GetString(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetString(4),
                reader.GetString(5), reader.GetInt32(6), reader.GetString(7)));
        }
        return claimed;
    }

    public async Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PruneSql);
        command.Parameters.AddWithValue("before", before);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task DeliveredAsync(Claimed delivery, int status, CancellationToken cancellationToken = default) =>
        ExecuteAsync(DeliveredSql, delivery, status, null, null, cancellationToken);

    /// <summary>Records a failed attempt; the delivery is tried again after <paramref name="delay"/>.</summary>
    public Task RetryAsync(Claimed delivery, int? status, string error, TimeSpan delay, CancellationToken cancellationToken = default) =>
        ExecuteAsync(RetrySql, delivery, status, error, delay, cancellationToken);

    /// <summary>Records the last failed attempt: the delivery is given up.</summary>
    public Task FailedAsync(Claimed delivery, int? status, string error, CancellationToken cancellationToken = default) =>
        ExecuteAsync(FailedSql, delivery, status, error, null, cancellationToken);

    private async Task ExecuteAsync(string sql, Claimed delivery, int? status, string? error, TimeSpan? delay, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("id", delivery.Id);
        command.Parameters.AddWithValue("attempt", delivery.Attempt);
        command.Parameters.Add(new NpgsqlParameter<int?>("status", NpgsqlDbType.Integer) { TypedValue = status });
        if (error is not null) command.Parameters.AddWithValue("error", error);
        if (delay is { } d) command.Parameters.AddWithValue("delay", d);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
