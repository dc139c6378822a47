using Npgsql;
using NpgsqlTypes;
using Telemetry.Grains;

namespace Telemetry.Storage;

/// <summary>
/// Writes one group commit of a tenant's events: in a single statement (so atomically, in one round
/// trip) it checks that the writer still holds the tenant's log (its epoch, under a lock that other
/// commits of the same writer share), claims the events' ids in <c>event_ids</c> and inserts the events
/// whose id was new. Several commits of one tenant run at once; the rollups and the log head follow
/// them, in order, through <see cref="EventLogHeadStore"/>.
/// </summary>
public sealed class EventBatchWriter(NpgsqlDataSource dataSource, Microsoft.Extensions.Options.IOptions<DatabaseOptions>? options = null)
{
    private readonly bool _prepare = options?.Value.PrepareStatements ?? true;

    /// <summary>
    /// The fence makes every other CTE empty when another writer claimed the log: a stale writer inserts
    /// nothing. FOR KEY SHARE, because commits of one writer must not wait for each other, nor for the
    /// head's update (a non-key update), while a claim (FOR UPDATE) must wait for all of them.
    /// </summary>
    internal const string AppendSql = """
        WITH fence AS (
            SELECT tenant_id FROM tenants
            WHERE tenant_id = @tenant AND log_epoch = @epoch
            FOR KEY SHARE),
        incoming AS (
            SELECT f.tenant_id, u.*
            FROM fence f,
                 unnest(@event_id::uuid[], @seq::bigint[], @type::text[], @status::text[], @user_id::text[],
                        @session_id::text[], @environment::text[], @occurred_at::timestamptz[],
                        @received_at::timestamptz[], @duration_ms::float8[], @properties::text[])
                 AS u(event_id, seq, type, status, user_id, session_id, environment,
                      occurred_at, received_at, duration_ms, properties)),
        new_ids AS (
            INSERT INTO event_ids (tenant_id, event_id, seq, received_at)
            SELECT tenant_id, event_id, seq, received_at FROM incoming
            ON CONFLICT (tenant_id, event_id) DO NOTHING
            RETURNING event_id),
        inserted AS (
            INSERT INTO events (tenant_id, event_id, seq, type, status, user_id, session_id, environment,
                                occurred_at, received_at, duration_ms, properties)
            SELECT i.tenant_id, i.event_id, i.seq, i.type, i.status, i.user_id, i.session_id, i.environment,
                   i.occurred_at, i.received_at, i.duration_ms, i.properties::jsonb
            FROM incoming i JOIN new_ids n ON n.event_id = i.event_id
            RETURNING seq)
        SELECT (SELECT count(*) FROM fence)::int, coalesce((SELECT array_agg(seq) FROM inserted), '{}'::bigint[])
        """;

    /// <summary>Creates the weekly partition of <c>events</c> holding an instant, when it is missing.</summary>
    internal const string EnsurePartitionSql = "SELECT telemetry_ensure_event_partition(@at)";

    /// <summary>What a group commit did.</summary>
    /// <param name="Claimed">False when another writer claimed the tenant's log: nothing was written.</param>
    /// <param name="InsertedSeqs">The sequence numbers of the events stored; the others were duplicates or refused.</param>
    /// <param name="Refused">Why PostgreSQL refused each event it refused, by position: nothing of those was written.</param>
    public sealed record Result(bool Claimed, HashSet<long> InsertedSeqs, IReadOnlyDictionary<int, string> Refused);

    private static readonly IReadOnlyDictionary<int, string> NoneRefused = new Dictionary<int, string>();

    /// <summary>
    /// Appends <paramref name="events"/> with sequence numbers <paramref name="firstSeq"/> onward (the i-th
    /// event gets firstSeq + i; the numbers of duplicates and refused events stay unused). The ids must be
    /// distinct within the batch. When PostgreSQL refuses the group for a data error (one bad row fails the
    /// whole statement), the group is split down to the events it refuses, in one transaction, so that the
    /// others are stored together and the refused ones alone are answered.
    /// </summary>
    /// <exception cref="UnsettledCommitException">The commit may or may not have happened.</exception>
    public async Task<Result> AppendAsync(string tenantId, long epoch, long firstSeq, IReadOnlyList<EventRecord> events, CancellationToken cancellationToken = default)
    {
        try
        {
            // Prepared, so that each commit skips parsing and planning: the statement persists on the pooled
            // connection, and preparing it again there costs a look-up. Explicitly, not by Npgsql's automatic
            // preparation, which answered "unexpected backend message DataRow" after data errors under savepoints.
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(AppendSql, connection);
            AddParameters(command, tenantId, epoch, firstSeq, events);
            if (_prepare) await command.PrepareAsync(cancellationToken);
            var (claimed, inserted) = await ExecuteAsync(command, events, inTransaction: false, cancellationToken);
            return new Result(claimed, inserted, NoneRefused);
        }
        catch (PostgresException ex) when (IsDataError(ex))
        {
            return await AppendIsolatingAsync(tenantId, epoch, firstSeq, events, cancellationToken);
        }
    }

    /// <summary>
    /// Tries halves of the group under savepoints until every piece is stored or is a single refused
    /// event. The whole commit is still one transaction: all of its stored events, or none.
    /// </summary>
    private async Task<Result> AppendIsolatingAsync(string tenantId, long epoch, long firstSeq, IReadOnlyList<EventRecord> events, CancellationToken cancellationToken)
    {
        var n = events.Count;
        var inserted = new HashSet<long>();
        var refused = new Dictionary<int, string>();
        // A missing week would abort the transaction, not one piece: make the weeks first.
        foreach (var week in events.Select(e => e.ReceivedAt.UtcDateTime.Date).Distinct()) await EnsurePartitionAsync(week, cancellationToken);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var pieces = new Stack<(int Start, int Count)>();
        pieces.Push((0, n));
        while (pieces.TryPop(out var piece))
        {
            var slice = Slice(events, piece.Start, piece.Count);
            await transaction.SaveAsync(PieceSavepoint, cancellationToken);
            try
            {
                await using var command = new NpgsqlCommand(AppendSql, connection, transaction);
                AddParameters(command, tenantId, epoch, firstSeq + piece.Start, slice);
                var (claimed, stored) = await ExecuteAsync(command, slice, inTransaction: true, cancellationToken);
                if (!claimed)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    return new Result(false, [], NoneRefused);
                }
                inserted.UnionWith(stored);
                await transaction.ReleaseAsync(PieceSavepoint, cancellationToken);
            }
            catch (PostgresException ex) when (IsDataError(ex))
            {
                await transaction.RollbackAsync(PieceSavepoint, cancellationToken);
                if (piece.Count == 1)
                {
                    refused[piece.Start] = Refusal(ex);
                    continue;
                }
                var half = piece.Count / 2;
                pieces.Push((piece.Start + half, piece.Count - half));
                pieces.Push((piece.Start, half));
            }
        }

        try
        {
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new UnsettledCommitException(ex);
        }
        return new Result(true, inserted, refused);
    }

    /// <summary>
    /// PostgreSQL's classes of errors that one row's values cause: data exceptions (22: out of range,
    /// bad encoding, NUL), integrity (23) and program limits (54: an index row too large). The missing
    /// partition is a check violation too, but of the week, not of the row: it is made, not refused.
    /// </summary>
    internal static bool IsDataError(PostgresException ex) =>
        ex.SqlState.StartsWith("22", StringComparison.Ordinal)
        || ex.SqlState.StartsWith("54", StringComparison.Ordinal)
        || (ex.SqlState.StartsWith("23", StringComparison.Ordinal) && !IsMissingPartition(ex));

    private static bool IsMissingPartition(PostgresException ex) =>
        ex.SqlState == PostgresErrorCodes.CheckViolation && ex.MessageText.Contains("no partition", StringComparison.Ordinal);

    /// <summary>What a client is told: the class of the error, never PostgreSQL's text (which names our tables and indexes).</summary>
    private static string Refusal(PostgresException ex) => ex.SqlState[..2] switch
    {
        "22" => $"cannot be stored: a value is out of range or not representable (SQLSTATE {ex.SqlState})",
        "54" => $"cannot be stored: a value is too large to index (SQLSTATE {ex.SqlState})",
        _ => $"cannot be stored: a value breaks a rule of the store (SQLSTATE {ex.SqlState})",
    };

    private const string PieceSavepoint = "piece";

    private static IReadOnlyList<EventRecord> Slice(IReadOnlyList<EventRecord> events, int start, int count)
    {
        if (start == 0 && count == events.Count) return events;
        var slice = new EventRecord[count];
        for (var i = 0; i < count; i++) slice[i] = events[start + i];
        return slice;
    }

    private static void AddParameters(NpgsqlCommand command, string tenantId, long epoch, long firstSeq, IReadOnlyList<EventRecord> events)
    {
        var n = events.Count;
        var ids = new Guid[n];
        var seqs = new long[n];
        var types = new string[n];
        var statuses = new string?[n];
        var users = new string?[n];
        var sessions = new string?[n];
        var environments = new string?[n];
        var occurred = new DateTime[n];
        var received = new DateTime[n];
        var durations = new double?[n];
        var properties = new string[n];
        for (var i = 0; i < n; i++)
        {
            var e = events[i];
            ids[i] = e.Id;
            seqs[i] = firstSeq + i;
            types[i] = e.Type;
            statuses[i] = StatusText(e.Status);
            users[i] = e.UserId;
            sessions[i] = e.SessionId;
            environments[i] = e.Environment;
            occurred[i] = e.Timestamp.UtcDateTime;
            received[i] = e.ReceivedAt.UtcDateTime;
            durations[i] = e.DurationMs;
            properties[i] = e.Properties;
        }

        var p = command.Parameters;
        p.AddWithValue("tenant", tenantId);
        p.AddWithValue("epoch", epoch);
        p.AddWithValue("event_id", ids);
        p.AddWithValue("seq", seqs);
        p.AddWithValue("type", types);
        p.Add(new NpgsqlParameter("status", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = statuses });
        p.Add(new NpgsqlParameter("user_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = users });
        p.Add(new NpgsqlParameter("session_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = sessions });
        p.Add(new NpgsqlParameter("environment", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = environments });
        p.AddWithValue("occurred_at", occurred);
        p.AddWithValue("received_at", received);
        p.Add(new NpgsqlParameter("duration_ms", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = durations });
        p.AddWithValue("properties", properties);
    }

    /// <summary>Runs the append; when a week has no partition yet, makes it and runs the statement again (it failed whole, so nothing was written).</summary>
    private async Task<(bool Claimed, HashSet<long> Inserted)> ExecuteAsync(NpgsqlCommand command, IReadOnlyList<EventRecord> events, bool inTransaction, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadResultAsync(command, cancellationToken);
        }
        catch (PostgresException ex) when (IsMissingPartition(ex))
        {
            // Partitions are normally made ahead of time by the silos' maintenance. Inside a transaction
            // the failed statement has aborted it: the caller's savepoint handling sees that as a failure
            // of the piece, so only an autocommit statement is retried here.
            if (inTransaction) throw new InvalidOperationException("A week's partition is missing inside a transaction.", ex);
            foreach (var week in events.Select(e => e.ReceivedAt.UtcDateTime.Date).Distinct()) await EnsurePartitionAsync(week, cancellationToken);
            return await ReadResultAsync(command, cancellationToken);
        }
    }

    /// <summary>Creates the weekly partition of <c>events</c> holding <paramref name="at"/>, when it is missing.</summary>
    public async Task EnsurePartitionAsync(DateTime at, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(EnsurePartitionSql);
        command.Parameters.AddWithValue("at", DateTime.SpecifyKind(at, DateTimeKind.Utc));
        await command.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task<(bool Claimed, HashSet<long> Inserted)> ReadResultAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0) == 1, [.. reader.GetFieldValue<long[]>(1)]);
    }

    internal static string? StatusText(EventStatus? status) => status switch
    {
        EventStatus.Success => "success",
        EventStatus.Failure => "failure",
        _ => null,
    };

    internal static EventStatus? ParseStatus(string? text) => text switch
    {
        "success" => EventStatus.Success,
        "failure" => EventStatus.Failure,
        _ => null,
    };
}
