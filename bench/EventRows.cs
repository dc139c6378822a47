using NpgsqlTypes;

namespace Telemetry.Bench;

/// <summary>The benchmark's events: the same shape for the HTTP load and for the COPY ceilings.</summary>
public static class EventRows
{
    public const int Types = 10;
    public const int Users = 5000;

    /// <summary>One event as the ingest API takes it; (worker, n, i) make it unique and varied.</summary>
    public static string Json(int worker, int n, int i) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"id\":\"{Guid.NewGuid()}\",\"type\":\"bench_{(n + i) % Types}\",\"status\":\"{((n + i) % 10 == 0 ? "failure" : "success")}\",\"user_id\":\"user-{(worker * 7919 + n * 31 + i) % Users}\",\"session_id\":\"s-{worker}\",\"duration_ms\":{(n + i) % 500},\"properties\":{{\"worker\":{worker},\"n\":{n}}}}}");

    /// <summary>A batch with one event for each of the users <paramref name="firstUser"/> onward.</summary>
    public static string UsersBatch(int firstUser, int count)
    {
        var builder = new StringBuilder("{\"events\":[");
        for (var u = firstUser; u < firstUser + count; u++)
        {
            if (u > firstUser) builder.Append(',');
            builder.Append(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{{\"id\":\"{Guid.NewGuid()}\",\"type\":\"bench_{u % Types}\",\"status\":\"success\",\"user_id\":\"user-{u}\",\"duration_ms\":{u % 500}}}"));
        }
        return builder.Append("]}").ToString();
    }

    public static string Batch(int worker, int n, int size)
    {
        var builder = new StringBuilder("{\"events\":[");
        for (var i = 0; i < size; i++)
        {
            if (i > 0) builder.Append(',');
            builder.Append(Json(worker, n, i));
        }
        return builder.Append("]}").ToString();
    }

    /// <summary>COPYs <paramref name="count"/> rows for a tenant, seq from <paramref name="firstSeq"/>, into events (and event_ids when asked).</summary>
    public static async Task CopyAsync(NpgsqlConnection connection, string tenantId, long firstSeq, int count, DateTimeOffset from, TimeSpan spread, bool withIds, Random random)
    {
        var ids = new Guid[count];
        var received = new DateTime[count];
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY events (tenant_id, event_id, seq, type, status, user_id, session_id, environment, occurred_at, received_at, duration_ms, properties) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < count; i++)
            {
                var seq = firstSeq + i;
                var at = from + TimeSpan.FromTicks((long)(spread.Ticks * ((double)i / count)));
                ids[i] = Guid.CreateVersion7(at);
                received[i] = at.UtcDateTime;
                await importer.StartRowAsync();
                await importer.WriteAsync(tenantId, NpgsqlDbType.Text);
                await importer.WriteAsync(ids[i], NpgsqlDbType.Uuid);
                await importer.WriteAsync(seq, NpgsqlDbType.Bigint);
                await importer.WriteAsync($"bench_{random.Next(Types)}", NpgsqlDbType.Text);
                await importer.WriteAsync(random.Next(10) == 0 ? "failure" : "success", NpgsqlDbType.Text);
                await importer.WriteAsync($"user-{random.Next(Users)}", NpgsqlDbType.Text);
                await importer.WriteAsync($"s-{random.Next(64)}", NpgsqlDbType.Text);
                await importer.WriteAsync("production", NpgsqlDbType.Text);
                await importer.WriteAsync(received[i], NpgsqlDbType.TimestampTz);
                await importer.WriteAsync(received[i], NpgsqlDbType.TimestampTz);
                await importer.WriteAsync((double)random.Next(500), NpgsqlDbType.Double);
                await importer.WriteAsync($"{{\"worker\":{random.Next(64)},\"n\":{seq}}}", NpgsqlDbType.Jsonb);
            }
            await importer.CompleteAsync();
        }
        if (!withIds) return;
        await using var idImporter = await connection.BeginBinaryImportAsync("COPY event_ids (tenant_id, event_id, seq, received_at) FROM STDIN (FORMAT BINARY)");
        for (var i = 0; i < count; i++)
        {
            await idImporter.StartRowAsync();
            await idImporter.WriteAsync(tenantId, NpgsqlDbType.Text);
            await idImporter.WriteAsync(ids[i], NpgsqlDbType.Uuid);
            await idImporter.WriteAsync(firstSeq + i, NpgsqlDbType.Bigint);
            await idImporter.WriteAsync(received[i], NpgsqlDbType.TimestampTz);
        }
        await idImporter.CompleteAsync();
    }
}
