using CsvHelper;
using Parquet;
using Parquet.Schema;

namespace Telemetry.Gateway.Query;

/// <summary>
/// Writes a stream of events as CSV (RFC 4180, with a header), NDJSON or Parquet, as the rows arrive
/// from PostgreSQL: memory stays flat whatever the size (Parquet holds one row group at a time).
/// </summary>
public static class EventExports
{
    /// <summary>Rows per Parquet row group: the most an export holds in memory at once.</summary>
    public const int ParquetRowGroupSize = 10_000;

    public static readonly string[] Columns = ["id", "type", "status", "user_id", "session_id", "environment", "timestamp", "duration_ms", "received_at", "properties"];

    /// <summary>The Parquet schema: typed columns, timestamps as UTC timestamps (microseconds), properties as JSON text.</summary>
    public static readonly ParquetSchema ParquetSchema = new(
        new DataField<string>("id", nullable: false),
        new DataField<string>("type", nullable: false),
        new DataField<string>("status", nullable: true),
        new DataField<string>("user_id", nullable: true),
        new DataField<string>("session_id", nullable: true),
        new DataField<string>("environment", nullable: true),
        new DateTimeDataField("timestamp", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: false),
        new DataField<double>("duration_ms", nullable: true),
        new DateTimeDataField("received_at", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: false),
        new DataField<string>("properties", nullable: false));

    /// <summary>
    /// Runs the query up to its first row before anything of the download is written, so that a query that fails or
    /// runs past its timeout at the start is still answered with a problem (503) rather than a cut-off file. Dispose
    /// the answer when the export ends: it holds the query's pooled connection.
    /// </summary>
    public static async Task<StartedRows> StartAsync(IAsyncEnumerable<StoredEvent> events, CancellationToken cancellationToken)
    {
        var rows = events.GetAsyncEnumerator(cancellationToken);
        try
        {
            return new StartedRows(rows, await rows.MoveNextAsync());
        }
        catch
        {
            await rows.DisposeAsync();
            throw;
        }
    }

    /// <summary>A query's rows whose first has been read already; enumerated once.</summary>
    public sealed class StartedRows(IAsyncEnumerator<StoredEvent> rows, bool any) : IAsyncEnumerable<StoredEvent>, IAsyncDisposable
    {
        private int _enumerated;

        public async IAsyncEnumerator<StoredEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _enumerated, 1) == 1) throw new InvalidOperationException("The rows of an export are read once.");
            if (!any) yield break;
            yield return rows.Current;
            while (await rows.MoveNextAsync()) yield return rows.Current;
        }

        public ValueTask DisposeAsync() => rows.DisposeAsync();
    }

    public static async Task WriteNdjsonAsync(IAsyncEnumerable<StoredEvent> events, Stream output, JsonSerializerOptions json, CancellationToken cancellationToken)
    {
        var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<EventResponse>)json.GetTypeInfo(typeof(EventResponse));
        var newline = "\n"u8.ToArray();
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            await JsonSerializer.SerializeAsync(output, EventResponse.From(e), info, cancellationToken);
            await output.WriteAsync(newline, cancellationToken);
        }
    }

    /// <summary>
    /// CSV options: RFC 4180 with CRLF line ends (CsvHelper's defaults), and every text cell that a spreadsheet would run
    /// as a formula (one starting with <c>= + - @</c>, tab or CR) escaped with a leading single quote, as OWASP advises:
    /// the values come from clients, possibly from a browser key anyone can read.
    /// </summary>
    public static readonly CsvWriterOptions CsvOptions = CsvWriterOptions.Default with { Injection = CsvInjection.Escape };

    /// <summary>Writes the events as CSV with a header; formula-like cells are escaped (<see cref="CsvOptions"/>).</summary>
    public static async Task WriteCsvAsync(IAsyncEnumerable<StoredEvent> events, Stream output, CancellationToken cancellationToken)
    {
        await using var csv = CsvWriter.Create(output, CsvOptions, leaveOpen: true);
        csv.WriteHeader(Columns);
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            csv.WriteField(e.Id.ToString());
            csv.WriteField(e.Type);
            csv.WriteField(StatusText(e));
            csv.WriteField(e.UserId);
            csv.WriteField(e.SessionId);
            csv.WriteField(e.Environment);
            csv.WriteField(Rfc3339(e.Timestamp));
            csv.WriteField(e.DurationMs?.ToString("R", CultureInfo.InvariantCulture));
            csv.WriteField(Rfc3339(e.ReceivedAt));
            csv.WriteField(e.Properties);
            await csv.EndRecordAsync(cancellationToken);
        }
        await csv.FlushAsync(cancellationToken);
    }

    public static async Task WriteParquetAsync(IAsyncEnumerable<StoredEvent> events, Stream output, CancellationToken cancellationToken)
    {
        // Parquet writes its footer with the offsets it wrote: a position-counting wrapper is all the "seeking" it needs.
        await using var counted = new PositionCountingStream(output);
        await using var writer = await ParquetWriter.CreateAsync(ParquetSchema, counted, cancellationToken: cancellationToken);
        var rows = new List<StoredEvent>(ParquetRowGroupSize);
        var groups = 0;
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            rows.Add(e);
            if (rows.Count == ParquetRowGroupSize)
            {
                await WriteRowGroupAsync(writer, rows);
                rows.Clear();
                groups++;
            }
        }
        // An empty export is still a valid file with the schema: one empty row group.
        if (rows.Count > 0 || groups == 0) await WriteRowGroupAsync(writer, rows);
    }

    private static async Task WriteRowGroupAsync(ParquetWriter writer, List<StoredEvent> rows)
    {
        var fields = ParquetSchema.DataFields;
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(fields[0], rows.Select(r => r.Id.ToString()).ToList());
        await group.WriteAsync(fields[1], rows.Select(r => r.Type).ToList());
        await group.WriteAsync(fields[2], rows.Select(StatusText).ToList());
        await group.WriteAsync(fields[3], rows.Select(r => r.UserId).ToList());
        await group.WriteAsync(fields[4], rows.Select(r => r.SessionId).ToList());
        await group.WriteAsync(fields[5], rows.Select(r => r.Environment).ToList());
        await group.WriteAsync<DateTime>(fields[6], rows.Select(r => r.Timestamp.UtcDateTime).ToArray());
        await group.WriteAsync<double>(fields[7], rows.Select(r => r.DurationMs).ToArray());
        await group.WriteAsync<DateTime>(fields[8], rows.Select(r => r.ReceivedAt.UtcDateTime).ToArray());
        await group.WriteAsync(fields[9], rows.Select(r => r.Properties).ToList());
    }

    private static string? StatusText(StoredEvent e) => e.Status switch
    {
        Grains.EventStatus.Success => "success",
        Grains.EventStatus.Failure => "failure",
        _ => null,
    };

    private static string Rfc3339(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
