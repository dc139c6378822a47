using System.Data;
using Npgsql;
using Telemetry.Grains;

namespace Telemetry.Storage;

/// <summary>Reads and prunes the per-bucket rollups that the event log writes as its head moves.</summary>
public sealed class TenantRollupStore(NpgsqlDataSource dataSource)
{
    internal const string HeadAndVersionSql = "SELECT log_head, erasure_version FROM tenants WHERE tenant_id = @tenant";

    internal const string LoadSql = """
        SELECT granularity, bucket_start, type, count, success, failure, duration_sum, duration_count
        FROM tenant_rollups
        WHERE tenant_id = @tenant
          AND (granularity IN (0, 3)
               OR (granularity = 1 AND bucket_start >= @minutes_from)
               OR (granularity = 2 AND bucket_start >= @hours_from))
        """;

    internal const string PruneSql = """
        DELETE FROM tenant_rollups
        WHERE tenant_id = @tenant
          AND ((granularity = 1 AND bucket_start < @minutes_from) OR (granularity = 2 AND bucket_start < @hours_from))
        """;

    /// <summary>One rollup row.</summary>
    public readonly record struct Row(BucketKind Kind, DateTimeOffset BucketStart, string Type, MetricsTotals Totals);

    /// <summary>What a metrics grain loads: the log head and erasure version the rollups reflect, and the rollups.</summary>
    public sealed record Snapshot(long Head, long ErasureVersion, List<Row> Rows);

    /// <summary>In one snapshot: the tenant's log head, its erasure version and its rollups (minutes and hours from the given starts).</summary>
    public async Task<Snapshot> LoadAsync(string tenantId, DateTimeOffset minutesFrom, DateTimeOffset hoursFrom, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        long head = 0, version = 0;
        await using (var headCommand = new NpgsqlCommand(HeadAndVersionSql, connection, transaction))
        {
            headCommand.Parameters.AddWithValue("tenant", tenantId);
            await using var reader = await headCommand.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken)) (head, version) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        var rows = new List<Row>();
        await using (var command = new NpgsqlCommand(LoadSql, connection, transaction))
        {
            command.Parameters.AddWithValue("tenant", tenantId);
            command.Parameters.AddWithValue("minutes_from", minutesFrom.UtcDateTime);
            command.Parameters.AddWithValue("hours_from", hoursFrom.UtcDateTime);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new Row(
                    (BucketKind)reader.GetInt16(0),
                    new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero),
                    reader.GetString(2),
                    new MetricsTotals(reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetDouble(6), reader.GetInt64(7))));
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return new Snapshot(head, version, rows);
    }

    /// <summary>Deletes minute rows before <paramref name="minutesFrom"/> and hour rows before <paramref name="hoursFrom"/>.</summary>
    public async Task<int> PruneAsync(string tenantId, DateTimeOffset minutesFrom, DateTimeOffset hoursFrom, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PruneSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("minutes_from", minutesFrom.UtcDateTime);
        command.Parameters.AddWithValue("hours_from", hoursFrom.UtcDateTime);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
