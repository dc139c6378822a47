using Npgsql;
using NpgsqlTypes;
using Telemetry.Grains;

namespace Telemetry.Storage;

/// <summary>Tenants' alert rules in PostgreSQL, and the changes of their state with the deliveries those cause.</summary>
public sealed class AlertRuleStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        rule_id, name, metric, category, window_name, comparison, threshold, resolve_threshold, min_events, severity, targets,
        enabled, state, transitions, state_changed_at, created_at, updated_at
        """;

    internal const string InsertSql = """
        INSERT INTO alert_rules (rule_id, tenant_id, name, metric, category, window_name, comparison, threshold, resolve_threshold,
                                 min_events, severity, targets, secret, enabled)
        VALUES (@rule, @tenant, @name, @metric, @category, @window, @comparison, @threshold, @resolve, @min_events, @severity, @targets, @secret, @enabled)
        RETURNING
        """ + " " + Columns;

    /// <summary>A new definition keeps the rule's state: the next evaluation resolves it if it no longer holds.</summary>
    internal const string UpdateSql = """
        UPDATE alert_rules SET name = @name, metric = @metric, category = @category, window_name = @window, comparison = @comparison,
               threshold = @threshold, resolve_threshold = @resolve, min_events = @min_events, severity = @severity, targets = @targets,
               enabled = @enabled, updated_at = now()
        WHERE tenant_id = @tenant AND rule_id = @rule
        RETURNING
        """ + " " + Columns;

    internal const string DeleteSql = "DELETE FROM alert_rules WHERE tenant_id = @tenant AND rule_id = @rule";

    internal const string ListSql = "SELECT " + Columns + " FROM alert_rules WHERE tenant_id = @tenant ORDER BY created_at, rule_id";

    internal const string GetSql = "SELECT " + Columns + " FROM alert_rules WHERE tenant_id = @tenant AND rule_id = @rule";

    internal const string TenantsSql = "SELECT DISTINCT tenant_id FROM alert_rules WHERE enabled";

    internal const string CountSql = "SELECT count(*) FROM alert_rules WHERE tenant_id = @tenant";

    /// <summary>
    /// Moves a rule to a state if no other change was recorded since the caller read it (@expected), and queues one
    /// delivery per target, in one statement: a change and its deliveries exist together or not at all.
    /// </summary>
    internal const string TransitionSql = """
        WITH moved AS (
            UPDATE alert_rules SET state = @state, transitions = transitions + 1, state_changed_at = now(), last_value = @value
            WHERE tenant_id = @tenant AND rule_id = @rule AND transitions = @expected
            RETURNING rule_id, tenant_id, transitions, targets
        )
        INSERT INTO alert_deliveries (rule_id, tenant_id, transition, state, value, target, body)
        SELECT moved.rule_id, moved.tenant_id, moved.transitions, @announced, @value, target, @body
        FROM moved CROSS JOIN LATERAL unnest(moved.targets) AS target
        """;

    internal const string DeliveriesSql = """
        SELECT delivery_id, transition, state, value, target, status, attempts, last_status, last_error, created_at, finished_at
        FROM alert_deliveries WHERE tenant_id = @tenant AND rule_id = @rule ORDER BY delivery_id DESC LIMIT @limit
        """;

    /// <summary>One delivery of a change of state to one target, as recorded.</summary>
    public sealed record Delivery(long Id, long Transition, string State, double? Value, string Target, string Status, int Attempts,
        int? LastStatus, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

    /// <summary>Stores a new rule with its signing secret.</summary>
    public async Task<StoredAlertRule> CreateAsync(string tenantId, AlertRule rule, string secret, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(InsertSql);
        Bind(command, tenantId, rule);
        command.Parameters.AddWithValue("secret", secret);
        return (await ReadAsync(command, cancellationToken))[0];
    }

    public async Task<long> CountAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(CountSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Replaces a rule's definition; null when the tenant has no such rule.</summary>
    public async Task<StoredAlertRule?> UpdateAsync(string tenantId, AlertRule rule, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(UpdateSql);
        Bind(command, tenantId, rule);
        return (await ReadAsync(command, cancellationToken)).FirstOrDefault();
    }

    public async Task<bool> DeleteAsync(string tenantId, Guid ruleId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(DeleteSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("rule", ruleId);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<IReadOnlyList<StoredAlertRule>> ListAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ListSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<StoredAlertRule?> GetAsync(string tenantId, Guid ruleId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(GetSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("rule", ruleId);
        return (await ReadAsync(command, cancellationToken)).FirstOrDefault();
    }

    /// <summary>The tenants with an enabled rule: the alerts grains a silo wakes after a restart.</summary>
    public async Task<IReadOnlyList<string>> ListTenantsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(TenantsSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tenants = new List<string>();
        while (await reader.ReadAsync(cancellationToken)) tenants.Add(reader.GetString(0));
        return tenants;
    }

    /// <summary>
    /// Records change number <paramref name="expected"/> + 1 of a rule, to <paramref name="state"/>, with a delivery of
    /// <paramref name="body"/> to each of its targets; false when another change was recorded first (nothing is written).
    /// </summary>
    public async Task<bool> RecordTransitionAsync(string tenantId, Guid ruleId, long expected, AlertState state, double? value, string body,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(TransitionSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("rule", ruleId);
        command.Parameters.AddWithValue("expected", expected);
        command.Parameters.AddWithValue("state", AlertNames.States[state]);
        command.Parameters.AddWithValue("announced", AlertNames.Announced(state));
        command.Parameters.Add(new NpgsqlParameter<double?>("value", NpgsqlDbType.Double) { TypedValue = value });
        command.Parameters.AddWithValue("body", body);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>The newest deliveries of a rule, newest first.</summary>
    public async Task<IReadOnlyList<Delivery>> ListDeliveriesAsync(string tenantId, Guid ruleId, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(DeliveriesSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("rule", ruleId);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var deliveries = new List<Delivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(new Delivery(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetDouble(3),
                reader.GetString(4), reader.GetString(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetInt32(7),
                reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10)));
        }
        return deliveries;
    }

    private static void Bind(NpgsqlCommand command, string tenantId, AlertRule rule)
    {
        command.Parameters.AddWithValue("rule", rule.Id);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("name", rule.Name);
        command.Parameters.AddWithValue("metric", AlertNames.Metrics[rule.Metric]);
        command.Parameters.Add(new NpgsqlParameter<string?>("category", NpgsqlDbType.Text) { TypedValue = rule.Category });
        command.Parameters.AddWithValue("window", MetricsWindows.Of(rule.Window).Name);
        command.Parameters.AddWithValue("comparison", AlertNames.Comparisons[rule.Comparison]);
        command.Parameters.AddWithValue("threshold", rule.Threshold);
        command.Parameters.Add(new NpgsqlParameter<double?>("resolve", NpgsqlDbType.Double) { TypedValue = rule.ResolveThreshold });
        command.Parameters.AddWithValue("min_events", rule.MinEvents);
        command.Parameters.AddWithValue("severity", AlertNames.Severities[rule.Severity]);
        command.Parameters.AddWithValue("targets", rule.Targets);
        command.Parameters.AddWithValue("enabled", rule.Enabled);
    }

    private static async Task<List<StoredAlertRule>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rules = new List<StoredAlertRule>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!MetricsWindows.TryParseWindow(reader.GetString(4), out var window)) throw new FormatException($"Unknown window '{reader.GetString(4)}' in alert_rules.");
            var rule = new AlertRule(
                reader.GetGuid(0), reader.GetString(1), AlertNames.Parse(AlertNames.Metrics, reader.GetString(2)),
                reader.IsDBNull(3) ? null : reader.GetString(3), window, AlertNames.Parse(AlertNames.Comparisons, reader.GetString(5)),
                reader.GetDouble(6), reader.IsDBNull(7) ? null : reader.GetDouble(7), reader.GetInt64(8),
                AlertNames.Parse(AlertNames.Severities, reader.GetString(9)), reader.GetFieldValue<string[]>(10), reader.GetBoolean(11));
            rules.Add(new StoredAlertRule(rule, AlertNames.Parse(AlertNames.States, reader.GetString(12)), reader.GetInt64(13),
                reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14), reader.GetFieldValue<DateTimeOffset>(15),
                reader.GetFieldValue<DateTimeOffset>(16)));
        }
        return rules;
    }
}
