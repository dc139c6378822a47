using Npgsql;

namespace Telemetry.Tests.Infrastructure;

/// <summary>What a SQL count over the stored events says, to compare the live metrics with.</summary>
public sealed class SqlTruth(NpgsqlDataSource database)
{
    /// <summary>Counts of a set of events; AvgDuration null when no event had a duration.</summary>
    public sealed record Totals(long Count, long Success, long Failure, double? AvgDuration);

    private const string TotalsSql = """
        SELECT count(*), count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status = 'failure'), avg(duration_ms)
        FROM events
        WHERE tenant_id = @tenant AND (@from::timestamptz IS NULL OR occurred_at >= @from) AND (@user::text IS NULL OR user_id = @user)
        """;

    private const string CategoriesSql = """
        SELECT type, count(*), count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status = 'failure'), avg(duration_ms)
        FROM events
        WHERE tenant_id = @tenant AND (@from::timestamptz IS NULL OR occurred_at >= @from) AND (@user::text IS NULL OR user_id = @user)
        GROUP BY type
        """;

    private const string SeriesSql = """
        SELECT floor(extract(epoch FROM occurred_at) / @seconds)::bigint * @seconds,
               count(*), count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status = 'failure'), avg(duration_ms)
        FROM events
        WHERE tenant_id = @tenant AND (@from::timestamptz IS NULL OR occurred_at >= @from) AND (@type::text IS NULL OR type = @type)
        GROUP BY 1
        """;

    private const string UsersSql = """
        SELECT user_id FROM events WHERE tenant_id = @tenant AND user_id IS NOT NULL
        GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT @limit
        """;

    public async Task<Totals> TotalsAsync(string tenant, DateTimeOffset? from, string? user = null)
    {
        await using var command = Command(TotalsSql, tenant, from, user);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return Read(reader, 0);
    }

    public async Task<Dictionary<string, Totals>> CategoriesAsync(string tenant, DateTimeOffset? from, string? user = null)
    {
        await using var command = Command(CategoriesSql, tenant, from, user);
        var result = new Dictionary<string, Totals>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result[reader.GetString(0)] = Read(reader, 1);
        return result;
    }

    /// <summary>Non-empty buckets of <paramref name="seconds"/> by their start (unix seconds).</summary>
    public async Task<Dictionary<long, Totals>> SeriesAsync(string tenant, DateTimeOffset? from, int seconds, string? type)
    {
        await using var command = Command(SeriesSql, tenant, from, null);
        command.Parameters.AddWithValue("seconds", seconds);
        command.Parameters.Add(new NpgsqlParameter("type", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)type ?? DBNull.Value });
        var result = new Dictionary<long, Totals>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result[reader.GetInt64(0)] = Read(reader, 1);
        return result;
    }

    public async Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = database.CreateCommand(sql);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Up to <paramref name="limit"/> users with stored events in the tenant, those with the most first.</summary>
    public async Task<string[]> UsersAsync(string tenant, int limit)
    {
        await using var command = database.CreateCommand(UsersSql);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("limit", limit);
        var users = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) users.Add(reader.GetString(0));
        return [.. users];
    }

    private NpgsqlCommand Command(string sql, string tenant, DateTimeOffset? from, string? user)
    {
        var command = database.CreateCommand(sql);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = from is { } f ? f.UtcDateTime : DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("user", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)user ?? DBNull.Value });
        return command;
    }

    private static Totals Read(NpgsqlDataReader reader, int at) => new(
        reader.GetInt64(at), reader.GetInt64(at + 1), reader.GetInt64(at + 2), reader.IsDBNull(at + 3) ? null : reader.GetDouble(at + 3));
}
