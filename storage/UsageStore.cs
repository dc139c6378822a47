using Npgsql;

namespace Telemetry.Storage;

/// <summary>Tenants' usage per hour in PostgreSQL: what gateways counted, summed.</summary>
public sealed class UsageStore(NpgsqlDataSource dataSource)
{
    /// <summary>Adds counts to their hours: rows from several gateways for one hour sum.</summary>
    internal const string AddSql = """
        INSERT INTO usage_hourly (tenant_id, hour, surface, kind, reason, amount)
        SELECT * FROM unnest(@tenants, @hours, @surfaces, @kinds, @reasons, @amounts)
        ON CONFLICT (tenant_id, hour, surface, kind, reason) DO UPDATE SET amount = usage_hourly.amount + excluded.amount
        """;

    /// <summary>A tenant's usage in [@from, @to), in buckets of @unit ('hour' or 'day', in UTC).</summary>
    internal const string ReadSql = """
        SELECT date_trunc(@unit, hour, 'UTC') AS start, surface, kind, reason, sum(amount)::bigint
        FROM usage_hourly WHERE tenant_id = @tenant AND hour >= @from AND hour < @to
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        """;

    /// <summary>Hours before @before: usage is kept as long as the retention says (billing periods), not forever.</summary>
    internal const string PruneSql = "DELETE FROM usage_hourly WHERE hour < @before";

    /// <summary>Counts of one kind, at one hour, from one surface (a rejection's reason: the field at fault).</summary>
    public readonly record struct Key(string TenantId, DateTimeOffset Hour, string Surface, string Kind, string Reason);

    /// <summary>One row of a tenant's usage: a bucket's start, the surface, what was counted and how much.</summary>
    public sealed record Row(DateTimeOffset Start, string Surface, string Kind, string Reason, long Amount);

    public async Task AddAsync(IReadOnlyCollection<KeyValuePair<Key, long>> counts, CancellationToken cancellationToken = default)
    {
        if (counts.Count == 0) return;
        await using var command = dataSource.CreateCommand(AddSql);
        command.Parameters.AddWithValue("tenants", counts.Select(c => c.Key.TenantId).ToArray());
        command.Parameters.AddWithValue("hours", counts.Select(c => c.Key.Hour).ToArray());
        command.Parameters.AddWithValue("surfaces", counts.Select(c => c.Key.Surface).ToArray());
        command.Parameters.AddWithValue("kinds", counts.Select(c => c.Key.Kind).ToArray());
        command.Parameters.AddWithValue("reasons", counts.Select(c => c.Key.Reason).ToArray());
        command.Parameters.AddWithValue("amounts", counts.Select(c => c.Value).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<Row>> ReadAsync(string tenantId, DateTimeOffset from, DateTimeOffset to, bool days, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ReadSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        command.Parameters.AddWithValue("unit", days ? "day" : "hour");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<Row>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new Row(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)));
        }
        return rows;
    }

    public async Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PruneSql);
        command.Parameters.AddWithValue("before", before);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
