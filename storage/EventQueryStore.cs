using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Data;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using Telemetry.Grains;

namespace Telemetry.Storage;

/// <summary>Which of a tenant's events a query wants; null fields do not filter. <c>To</c> is exclusive.</summary>
/// <param name="TicketId">The central logger's ticket, kept in properties.ticket_id.</param>
/// <param name="StatusText">The central logger's own status word, kept in properties.status.</param>
public sealed record EventFilter(
    string? Type = null,
    EventStatus? Status = null,
    string? UserId = null,
    string? SessionId = null,
    string? Environment = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? TicketId = null,
    string? StatusText = null);

/// <summary>An event as stored.</summary>
/// <param name="Properties">The JSON object text of its properties.</param>
public sealed record StoredEvent(
    Guid Id, long Seq, string Type, EventStatus? Status, string? UserId, string? SessionId, string? Environment,
    DateTimeOffset Timestamp, DateTimeOffset ReceivedAt, double? DurationMs, string Properties);

/// <summary>
/// The position after an event in the newest-first order: (timestamp, seq), which is unique in a
/// tenant. Opaque to clients (base64url of the two numbers).
/// </summary>
public readonly record struct EventCursor(DateTimeOffset Timestamp, long Seq)
{
    public static EventCursor After(StoredEvent e) => new(e.Timestamp, e.Seq);

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, (Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], Seq);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string? text, out EventCursor cursor)
    {
        cursor = default;
        Span<byte> bytes = stackalloc byte[16];
        // TryDecodeFromChars throws, rather than answering false, on a character outside the alphabet.
        if (text is null || text.Length != 22 || !Base64Url.IsValid(text) || !Base64Url.TryDecodeFromChars(text, bytes, out var written) || written != 16) return false;
        var micros = BinaryPrimitives.ReadInt64BigEndian(bytes);
        var seq = BinaryPrimitives.ReadInt64BigEndian(bytes[8..]);
        var ticks = DateTimeOffset.UnixEpoch.UtcTicks + micros * 10;
        if (micros is < -62135596800_000000L or > 253402300799_999999L || seq < 0 || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks) return false;
        cursor = new EventCursor(new DateTimeOffset(ticks, TimeSpan.Zero), seq);
        return true;
    }
}

/// <summary>
/// Reads a tenant's events newest first: pages by keyset cursor, single events, whole streams. Every read runs under a
/// statement timeout (<see cref="DatabaseOptions.QueryTimeout"/>, <see cref="DatabaseOptions.ExportTimeout"/>) set for
/// its own implicit transaction only, so the connection goes back to the pool as it came and writes never see it.
/// </summary>
public sealed class EventQueryStore(NpgsqlDataSource dataSource, IOptions<DatabaseOptions>? options = null)
{
    /// <summary>
    /// Sets the statement timeout for the rest of the batch: a batch without an explicit transaction runs in one
    /// implicit transaction, and a local setting ends with it.
    /// </summary>
    internal const string StatementTimeoutSql = "SELECT set_config('statement_timeout', @timeout, true)";

    /// <summary>What the client waits on top of the server's timeout, so that the server's clearer error comes first.</summary>
    private static readonly TimeSpan ClientTimeoutMargin = TimeSpan.FromSeconds(5);

    private readonly DatabaseOptions _options = options?.Value ?? new DatabaseOptions();

    private const string SelectSql = """
        SELECT event_id, seq, type, status, user_id, session_id, environment, occurred_at, received_at, duration_ms, properties::text
        FROM events
        WHERE tenant_id = @tenant
        """;

    // The query is put together from these constants only; every value is a parameter.
    private const string TypeSql = " AND type = @type";
    private const string StatusSql = " AND status = @status";
    private const string UserSql = " AND user_id = @user_id";
    private const string SessionSql = " AND session_id = @session_id";
    private const string EnvironmentSql = " AND environment = @environment";
    private const string FromSql = " AND occurred_at >= @from";
    private const string ToSql = " AND occurred_at < @to";
    private const string TicketSql = " AND properties ? 'ticket_id' AND properties ->> 'ticket_id' = @ticket_id";
    private const string StatusTextSql = " AND properties ->> 'status' = @status_text";
    private const string CursorSql = " AND (occurred_at, seq) < (@cursor_at, @cursor_seq)";
    private const string OffsetSql = " OFFSET @offset";
    private const string CountSql = "SELECT count(*) FROM events WHERE tenant_id = @tenant";
    private const string OrderSql = " ORDER BY occurred_at DESC, seq DESC";
    private const string LimitSql = " LIMIT @limit";

    /// <summary>Finds one event by id through the idempotency keys, which also name its week.</summary>
    internal const string GetSql = """
        SELECT e.event_id, e.seq, e.type, e.status, e.user_id, e.session_id, e.environment, e.occurred_at, e.received_at, e.duration_ms, e.properties::text
        FROM event_ids i
        JOIN events e ON e.tenant_id = i.tenant_id AND e.received_at = i.received_at AND e.seq = i.seq
        WHERE i.tenant_id = @tenant AND i.event_id = @id
        """;

    /// <summary>Up to <paramref name="limit"/> events after <paramref name="cursor"/>, and the cursor for the next page (null at the end).</summary>
    public async Task<(List<StoredEvent> Events, EventCursor? Next)> ListAsync(string tenantId, EventFilter filter, int limit, EventCursor? cursor, CancellationToken cancellationToken = default)
    {
        await using var batch = Batch(_options.QueryTimeout);
        batch.BatchCommands.Add(Build(tenantId, filter, cursor, limit + 1));
        var events = new List<StoredEvent>(Math.Min(limit + 1, 1024));
        await using (var reader = await ExecuteAsync(batch, CommandBehavior.Default, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) events.Add(Read(reader));
        }
        if (events.Count <= limit) return (events, null);
        events.RemoveAt(limit);
        return (events, EventCursor.After(events[^1]));
    }

    /// <summary>Every event the filter selects, newest first, read as the caller consumes them.</summary>
    public async IAsyncEnumerable<StoredEvent> StreamAsync(string tenantId, EventFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var batch = Batch(_options.ExportTimeout);
        batch.BatchCommands.Add(Build(tenantId, filter, null, null));
        await using var reader = await ExecuteAsync(batch, CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) yield return Read(reader);
    }

    /// <summary>
    /// A page by number, with the total count, for older APIs that page by offset. It costs more the
    /// deeper the page (the native API's cursor does not): the count and the page together run under
    /// <see cref="DatabaseOptions.QueryTimeout"/>, which bounds that cost.
    /// </summary>
    public async Task<(List<StoredEvent> Events, long Total)> PageAsync(string tenantId, EventFilter filter, int offset, int limit, CancellationToken cancellationToken = default)
    {
        await using var batch = Batch(_options.QueryTimeout);
        batch.BatchCommands.Add(Build(tenantId, filter, null, null, CountSql, order: false));
        batch.BatchCommands.Add(Build(tenantId, filter, null, limit, SelectSql, order: true, offset));
        await using var reader = await ExecuteAsync(batch, CommandBehavior.Default, cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var total = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        var events = new List<StoredEvent>(limit);
        while (await reader.ReadAsync(cancellationToken)) events.Add(Read(reader));
        return (events, total);
    }

    public async Task<StoredEvent?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken = default)
    {
        await using var batch = Batch(_options.QueryTimeout);
        var get = new NpgsqlBatchCommand(GetSql);
        get.Parameters.AddWithValue("tenant", tenantId);
        get.Parameters.AddWithValue("id", id);
        batch.BatchCommands.Add(get);
        await using var reader = await ExecuteAsync(batch, CommandBehavior.Default, cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>A batch that starts by setting its statement timeout; the client waits a little longer than the server.</summary>
    private NpgsqlBatch Batch(TimeSpan timeout)
    {
        var batch = dataSource.CreateBatch();
        batch.Timeout = (int)Math.Min(int.MaxValue, Math.Ceiling((timeout + ClientTimeoutMargin).TotalSeconds));
        var setTimeout = new NpgsqlBatchCommand(StatementTimeoutSql);
        setTimeout.Parameters.AddWithValue("timeout", DatabaseOptions.Milliseconds(timeout));
        batch.BatchCommands.Add(setTimeout);
        return batch;
    }

    /// <summary>Runs the batch and moves past the timeout's result, to the first query's rows.</summary>
    private static async Task<NpgsqlDataReader> ExecuteAsync(NpgsqlBatch batch, CommandBehavior behavior, CancellationToken cancellationToken)
    {
        var reader = await batch.ExecuteReaderAsync(behavior, cancellationToken);
        try
        {
            await reader.NextResultAsync(cancellationToken);
            return reader;
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
    }

    private static NpgsqlBatchCommand Build(string tenantId, EventFilter filter, EventCursor? cursor, int? limit) =>
        Build(tenantId, filter, cursor, limit, SelectSql, order: true);

    private static NpgsqlBatchCommand Build(string tenantId, EventFilter filter, EventCursor? cursor, int? limit, string select, bool order, int offset = 0)
    {
        var sql = new StringBuilder(select);
        var command = new NpgsqlBatchCommand();
        command.Parameters.AddWithValue("tenant", tenantId);
        Add(filter.Type, TypeSql, "type");
        Add(EventBatchWriter.StatusText(filter.Status), StatusSql, "status");
        Add(filter.UserId, UserSql, "user_id");
        Add(filter.SessionId, SessionSql, "session_id");
        Add(filter.Environment, EnvironmentSql, "environment");
        if (filter.From is { } from) Add(from.UtcDateTime, FromSql, "from");
        if (filter.To is { } to) Add(to.UtcDateTime, ToSql, "to");
        Add(filter.TicketId, TicketSql, "ticket_id");
        Add(filter.StatusText, StatusTextSql, "status_text");
        if (cursor is { } c)
        {
            sql.Append(CursorSql);
            command.Parameters.AddWithValue("cursor_at", c.Timestamp.UtcDateTime);
            command.Parameters.AddWithValue("cursor_seq", c.Seq);
        }
        if (order) sql.Append(OrderSql);
        if (limit is { } n) Add(n, LimitSql, "limit");
        if (offset > 0) Add(offset, OffsetSql, "offset");
        command.CommandText = sql.ToString();
        return command;

        void Add(object? value, string fragment, string name)
        {
            if (value is null) return;
            sql.Append(fragment);
            command.Parameters.AddWithValue(name, value);
        }
    }

    private static StoredEvent Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetInt64(1),
        reader.GetString(2),
        EventBatchWriter.ParseStatus(reader.IsDBNull(3) ? null : reader.GetString(3)),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        new DateTimeOffset(reader.GetDateTime(7), TimeSpan.Zero),
        new DateTimeOffset(reader.GetDateTime(8), TimeSpan.Zero),
        reader.IsDBNull(9) ? null : reader.GetDouble(9),
        reader.GetString(10));
}
