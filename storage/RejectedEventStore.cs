using Npgsql;
using NpgsqlTypes;

namespace Telemetry.Storage;

/// <summary>Refused events kept with their reasons: added in groups by the gateways, listed, replayed, pruned.</summary>
public sealed class RejectedEventStore(NpgsqlDataSource dataSource)
{
    internal const string AddSql = """
        INSERT INTO rejected_events (tenant_id, surface, event_id, event, fields, reasons, received_at, user_id)
        SELECT t, s, e, ev, string_to_array(f, ','), r, at, u
        FROM unnest(@tenants, @surfaces, @ids, @events, @fields, @reasons, @received, @users) AS x(t, s, e, ev, f, r, at, u)
        """;

    /// <summary>Keeps each named tenant's newest @max rows.</summary>
    internal const string TrimSql = """
        DELETE FROM rejected_events d
        USING (SELECT tenant_id, (SELECT rejected_id FROM rejected_events r WHERE r.tenant_id = t.tenant_id
                                   ORDER BY rejected_id DESC OFFSET @max LIMIT 1) AS last_dropped
               FROM unnest(@tenants) AS t(tenant_id)) cut
        WHERE d.tenant_id = cut.tenant_id AND d.rejected_id <= cut.last_dropped
        """;

    internal const string PruneSql = "DELETE FROM rejected_events WHERE received_at < @before";

    /// <summary>Newest first, before the cursor, with optional filters (each null matches all).</summary>
    internal const string ListSql = """
        SELECT rejected_id, surface, event_id, event, reasons, received_at, replayed_at, replay_status FROM rejected_events
        WHERE tenant_id = @tenant AND rejected_id < @before
          AND (@surface::text IS NULL OR surface = @surface) AND (@field::text IS NULL OR @field = ANY (fields))
          AND (@from::timestamptz IS NULL OR received_at >= @from) AND (@to::timestamptz IS NULL OR received_at < @to)
        ORDER BY rejected_id DESC LIMIT @limit
        """;

    internal const string GetManySql = """
        SELECT rejected_id, surface, event_id, event, reasons, received_at, replayed_at, replay_status FROM rejected_events
        WHERE tenant_id = @tenant AND rejected_id = ANY (@ids)
        """;

    internal const string ReplayedSql = """
        UPDATE rejected_events SET replayed_at = now(), replay_status = s
        FROM unnest(@ids, @statuses) AS x(id, s) WHERE tenant_id = @tenant AND rejected_id = x.id
        """;

    /// <summary>A refused event to keep: the fields at fault, the errors' JSON, and its user (text PostgreSQL can hold) for erasure.</summary>
    public sealed record NewRejection(string TenantId, string Surface, Guid? EventId, string Event, IReadOnlyList<string> Fields, string Reasons, DateTimeOffset ReceivedAt, string? UserId);

    /// <summary>A kept refused event.</summary>
    public sealed record Rejection(long Id, string Surface, Guid? EventId, string Event, string Reasons, DateTimeOffset ReceivedAt, DateTimeOffset? ReplayedAt, string? ReplayStatus);

    /// <summary>Adds refused events, then keeps each of their tenants' newest <paramref name="maxPerTenant"/>.</summary>
    public async Task AddAsync(IReadOnlyList<NewRejection> rejections, int maxPerTenant, CancellationToken cancellationToken = default)
    {
        if (rejections.Count == 0) return;
        await using var batch = dataSource.CreateBatch();
        var add = new NpgsqlBatchCommand(AddSql);
        add.Parameters.AddWithValue("tenants", rejections.Select(r => r.TenantId).ToArray());
        add.Parameters.AddWithValue("surfaces", rejections.Select(r => r.Surface).ToArray());
        add.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = rejections.Select(r => (object?)r.EventId ?? DBNull.Value).ToArray() });
        add.Parameters.AddWithValue("events", rejections.Select(r => r.Event).ToArray());
        add.Parameters.AddWithValue("fields", rejections.Select(r => string.Join(',', r.Fields)).ToArray());
        add.Parameters.AddWithValue("reasons", rejections.Select(r => r.Reasons).ToArray());
        add.Parameters.AddWithValue("received", rejections.Select(r => r.ReceivedAt).ToArray());
        add.Parameters.Add(new NpgsqlParameter("users", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rejections.Select(r => (object?)r.UserId ?? DBNull.Value).ToArray() });
        batch.BatchCommands.Add(add);
        var trim = new NpgsqlBatchCommand(TrimSql);
        trim.Parameters.AddWithValue("tenants", rejections.Select(r => r.TenantId).Distinct().ToArray());
        trim.Parameters.AddWithValue("max", maxPerTenant);
        batch.BatchCommands.Add(trim);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PruneSql);
        command.Parameters.AddWithValue("before", before);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<Rejection>> ListAsync(string tenantId, long before, int limit, string? surface, string? field,
        DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ListSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("before", before);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.Add(new NpgsqlParameter<string?>("surface", NpgsqlDbType.Text) { TypedValue = surface });
        command.Parameters.Add(new NpgsqlParameter<string?>("field", NpgsqlDbType.Text) { TypedValue = field });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("from", NpgsqlDbType.TimestampTz) { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("to", NpgsqlDbType.TimestampTz) { TypedValue = to });
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<Rejection>> GetManyAsync(string tenantId, IReadOnlyList<long> ids, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(GetManySql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Records how each replay went (accepted, duplicate, rejected).</summary>
    public async Task MarkReplayedAsync(string tenantId, IReadOnlyList<(long Id, string Status)> outcomes, CancellationToken cancellationToken = default)
    {
        if (outcomes.Count == 0) return;
        await using var command = dataSource.CreateCommand(ReplayedSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("ids", outcomes.Select(o => o.Id).ToArray());
        command.Parameters.AddWithValue("statuses", outcomes.Select(o => o.Status).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<Rejection>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<Rejection>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new Rejection(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2), reader.GetString(3),
                reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return rows;
    }
}
