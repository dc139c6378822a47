using Microsoft.Extensions.Options;
using Npgsql;

namespace Telemetry.Storage;

/// <summary>
/// The weekly partitions of <c>events</c>: made ahead of time, and dropped past the retention. The DDL waits at most
/// <see cref="DatabaseOptions.PartitionLockTimeout"/> for each lock, then fails with SQLSTATE 55P03: a DDL statement
/// waiting behind a long read would otherwise make every later insert and read of <c>events</c> wait behind it.
/// </summary>
public sealed class EventPartitionStore(NpgsqlDataSource dataSource, IOptions<DatabaseOptions>? options = null)
{
    /// <summary>Sets the lock timeout for the rest of the batch, which runs in one implicit transaction.</summary>
    internal const string LockTimeoutSql = "SELECT set_config('lock_timeout', @timeout, true)";

    private readonly TimeSpan _lockTimeout = (options?.Value ?? new DatabaseOptions()).PartitionLockTimeout;

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
            await using var batch = WithLockTimeout();
            var ensure = new NpgsqlBatchCommand(EventBatchWriter.EnsurePartitionSql);
            ensure.Parameters.AddWithValue("at", at.UtcDateTime);
            batch.BatchCommands.Add(ensure);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Drops every partition whose week ended at or before <paramref name="cutoff"/>; answers their names.</summary>
    public async Task<List<string>> DropBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        await using var batch = WithLockTimeout();
        var drop = new NpgsqlBatchCommand(DropSql);
        drop.Parameters.AddWithValue("cutoff", cutoff.UtcDateTime);
        batch.BatchCommands.Add(drop);
        var dropped = new List<string>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) dropped.Add(reader.GetString(0));
        return dropped;
    }

    /// <summary>A batch whose statements after the first wait at most the partition lock timeout for a lock.</summary>
    private NpgsqlBatch WithLockTimeout()
    {
        var batch = dataSource.CreateBatch();
        var setTimeout = new NpgsqlBatchCommand(LockTimeoutSql);
        setTimeout.Parameters.AddWithValue("timeout", DatabaseOptions.Milliseconds(_lockTimeout));
        batch.BatchCommands.Add(setTimeout);
        return batch;
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
