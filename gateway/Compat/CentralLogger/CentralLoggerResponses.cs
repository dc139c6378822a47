namespace Telemetry.Gateway.Compat;

/// <summary>A workflow log as the central logger shows it.</summary>
public sealed record CentralLog(
    Guid Id, string ClientId, string? Environment, string? WorkflowVersion, string? TicketId, DateTimeOffset ExecutedAt,
    double? ExecutionTimeSeconds, string? Status, string Category, string? ResolutionStatus, JsonElement? Metrics, JsonElement? Payload, DateTimeOffset CreatedAt)
{
    private static readonly string[] LogFields = ["ticket_id", "status", "metrics", "payload", "workflow_version", "resolution_status"];

    /// <summary>Any stored event as a log: logs taken through this API come back as they were sent, native events as close as they map.</summary>
    public static CentralLog From(string tenantId, StoredEvent e)
    {
        using var document = JsonDocument.Parse(e.Properties);
        var p = document.RootElement;
        string? Text(string name) => p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        JsonElement? Element(string name) => p.TryGetProperty(name, out var v) ? v.Clone() : null;
        var status = Text("status") ?? e.Status switch { EventStatus.Success => "SUCCESS", EventStatus.Failure => "FAILURE", _ => null };
        // A log taken here has its payload under "payload"; another event's properties are its payload.
        var isLog = LogFields.Any(f => p.TryGetProperty(f, out _));
        return new CentralLog(
            e.Id, tenantId, e.Environment, Text("workflow_version"), Text("ticket_id"), e.Timestamp, e.DurationMs / 1000, status, e.Type,
            Text("resolution_status"), Element("metrics"), isLog ? Element("payload") : p.Clone(), e.ReceivedAt);
    }
}

/// <summary>A page of logs with the central logger's pagination block.</summary>
public sealed record CentralLogPage(IReadOnlyList<CentralLog> Data, CentralLogPagination Pagination);

/// <summary>page (from 1), page_size, total logs, pages.</summary>
public sealed record CentralLogPagination(int Page, int PageSize, long Total, int Pages);

/// <summary>Answer to one log taken.</summary>
public sealed record CentralLogCreated(Guid Id, DateTimeOffset CreatedAt);

/// <summary>Answer to a batch taken: every log's id, in order.</summary>
public sealed record CentralLogBatchCreated(IReadOnlyList<Guid> Ids, int Count);

/// <summary>The central logger's overview: success_rate in percent, avg_execution_time in seconds.</summary>
public sealed record CentralOverview(long TotalTickets, double SuccessRate, double AvgExecutionTime, long ErrorCount, int PeriodDays);

/// <summary>One category: success_rate in percent.</summary>
public sealed record CentralCategory(string Category, long Count, long SuccessCount, double SuccessRate);

/// <summary>The categories, most frequent first.</summary>
public sealed record CentralCategories(IReadOnlyList<CentralCategory> Data);
