using Npgsql;

namespace Telemetry.Storage;

/// <summary>The weekly partitions of <c>events</c>: made ahead of time, and dropped past the retention.</summary>
public sealed class EventPartitionStore(NpgsqlDataSource dataSource)
{
    internal const string DropSql = "SELECT telemetry_drop_event_partitions(@cutoff)";

    internal const string ListSql = """
        SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass ORDER BY 1
        """;

    /// <summary>Makes this week's partition and the next one's.</summary>
    public async Task EnsureAheadAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        foreach (var at in new[] { now, now.AddDays(7) })
        {
            await using var command = dataSource.CreateCommand(EventBatchWriter.EnsurePartitionSql);
            command.Parameters.AddWithValue("at", at.UtcDateTime);
            await command.ExecuteScalarAsync(cancellationToken);
        }
    }

    /// <summary>Drops every partition whose week ended at or before <paramref name="cutoff"/>; answers their names.</summary>
    public async Task<List<string>> DropBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(DropSql);
        command.Parameters.AddWithValue("cutoff", cutoff.UtcDateTime);
        var dropped = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) dropped.Add(reader.GetString(0));
        return dropped;
    }

    /// <summary>The names of the partitions, oldest week first.</summary>
    public async Task<List<string>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ListSql);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) names.Add(reader.GetString(0));
        return names;
    }
}
