using Microsoft.AspNetCore.Mvc;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Query;
using Telemetry.Gateway.Usage;

namespace Telemetry.Gateway.Compat.CentralLogger;

/// <summary>
/// The central logger's API (seed 001) under <c>/api/v1</c>: workflow logs in and out with its field
/// names (<see cref="CentralLoggerDialect"/>), page/page_size pagination with totals, and metrics with
/// percent-valued success rates.
/// </summary>
public static class CentralLoggerApi
{
    public const int MaxBatchLogs = 100;
    public static IEndpointRouteBuilder MapCentralLoggerApi(this IEndpointRouteBuilder routes)
    {
        var logs = routes.MapGroup("/api/v1/logs").WithTags("Compatibility: central logger");
        logs.MapPost("/", IngestAsync).RequireAuthorization(ApiKeyDefaults.IngestPolicy)
            .WithName("CentralLoggerIngest").WithSummary("Seed 001: one workflow log; 201 with its id.")
            .CountReceivedBytes(IngestSurface.CentralLogger);
        logs.MapPost("/batch", IngestBatchAsync).RequireAuthorization(ApiKeyDefaults.IngestPolicy)
            .WithName("CentralLoggerIngestBatch").WithSummary("Seed 001: up to 100 logs (a JSON array or {\"logs\": [...]}), all or none; 201 with their ids.")
            .CountReceivedBytes(IngestSurface.CentralLogger);
        logs.MapGet("/", ListAsync).RequireAuthorization(ApiKeyDefaults.ReadPolicy)
            .WithName("CentralLoggerList").WithSummary("Seed 001: logs newest first with its filters and page/page_size pagination.");
        logs.MapGet("/{logId}", GetAsync).RequireAuthorization(ApiKeyDefaults.ReadPolicy)
            .WithName("CentralLoggerGet").WithSummary("Seed 001: one log in full.");

        var metrics = routes.MapGroup("/api/v1/metrics").WithTags("Compatibility: central logger").RequireAuthorization(ApiKeyDefaults.ReadPolicy);
        metrics.MapGet("/overview", GetOverviewAsync)
            .WithName("CentralLoggerOverview").WithSummary("Seed 001: total_tickets, success_rate (percent), avg_execution_time (s), error_count over days=1..90 (default 7).");
        metrics.MapGet("/categories", GetCategoriesAsync)
            .WithName("CentralLoggerCategories").WithSummary("Seed 001: count, success_count and success_rate (percent) per category; all time unless days=1..90.");
        return routes;
    }

    public static async Task<Results<Created<CentralLogCreated>, ProblemHttpResult>> IngestAsync(
        HttpRequest request, [AsParameters] IngestServices services, CancellationToken cancellationToken)
    {
        var receivedAt = services.Ingestion.Now();
        var (json, refused) = await services.ReadJsonAsync(request, "Send logs as application/json.", cancellationToken);
        if (refused is not null) return refused;
        using (json)
        {
            var errors = new List<FieldError>();
            var draft = CentralLoggerDialect.Read(json!.Root, "", errors);
            var record = services.Ingestion.Validate(request.HttpContext.User.TenantId(), IngestSurface.CentralLogger, draft, receivedAt, errors);
            if (record is null) return Problems.Validation(CentralLoggerDialect.Renamed(errors));
            var outcome = (await services.Ingestion.AppendAsync(request.HttpContext.User.TenantId(), IngestSurface.CentralLogger, [record]))[0];
            if (outcome.Refused is { } refusal) return Problems.Validation(CentralLoggerDialect.Renamed([EventIngestion.Refusal(refusal)]));
            return TypedResults.Created($"/api/v1/logs/{outcome.Id}", new CentralLogCreated(outcome.Id, outcome.ReceivedAt));
        }
    }

    public static async Task<Results<Created<CentralLogBatchCreated>, ProblemHttpResult>> IngestBatchAsync(
        HttpRequest request, [AsParameters] IngestServices services, CancellationToken cancellationToken)
    {
        var receivedAt = services.Ingestion.Now();
        var (json, refused) = await services.ReadJsonAsync(request, "Send logs as application/json.", cancellationToken);
        if (refused is not null) return refused;
        using (json)
        {
            var root = json!.Root;
            var items = root.ValueKind == JsonValueKind.Array ? root
                : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("logs", out var logs) && logs.ValueKind == JsonValueKind.Array ? logs
                : default;
            if (items.ValueKind != JsonValueKind.Array) return Problems.Validation([new FieldError("logs", "the body is a JSON array of logs, or {\"logs\": [...]}")]);
            var count = items.GetArrayLength();
            if (count > MaxBatchLogs) return Problems.Status(StatusCodes.Status413PayloadTooLarge, "logs", $"A batch holds at most {MaxBatchLogs} logs.");
            if (count == 0) return Problems.Validation([new FieldError("logs", $"must hold 1 to {MaxBatchLogs} logs")]);

            // All or none, as the central logger took them.
            var tenantId = request.HttpContext.User.TenantId();
            var records = new List<EventRecord>(count);
            var errors = new List<FieldError>();
            var index = 0;
            foreach (var item in items.EnumerateArray())
            {
                var prefix = $"logs[{index++}].";
                var itemErrors = new List<FieldError>();
                var record = services.Ingestion.Validate(tenantId, IngestSurface.CentralLogger, CentralLoggerDialect.Read(item, prefix, itemErrors), receivedAt, itemErrors);
                if (record is null) errors.AddRange(CentralLoggerDialect.Renamed(itemErrors, prefix));
                else records.Add(record);
            }
            if (errors.Count > 0) return Problems.Validation(errors);
            var outcomes = await services.Ingestion.AppendAsync(tenantId, IngestSurface.CentralLogger, [.. records]);
            // PostgreSQL refusing a log that kept every rule checked above is the one case where the batch
            // is not all or none: the others are stored, and the answer names the refused ones alone.
            var refusals = outcomes.SelectMany((o, i) => o.Refused is { } r ? CentralLoggerDialect.Renamed([EventIngestion.Refusal(r)], $"logs[{i}].") : []).ToList();
            if (refusals.Count > 0) return Problems.Validation(refusals);
            return TypedResults.Created("/api/v1/logs", new CentralLogBatchCreated([.. outcomes.Select(o => o.Id)], outcomes.Length));
        }
    }

    /// <summary>The query string of the log list, as the central logger took it.</summary>
    public sealed record ListParameters(
        [property: FromQuery(Name = "environment")] string? Environment,
        [property: FromQuery(Name = "status")] string? Status,
        [property: FromQuery(Name = "category")] string? Category,
        [property: FromQuery(Name = "ticket_id")] string? TicketId,
        [property: FromQuery(Name = "start_date")] string? StartDate,
        [property: FromQuery(Name = "end_date")] string? EndDate,
        [property: FromQuery(Name = "page")] string? Page,
        [property: FromQuery(Name = "page_size")] string? PageSize);

    public static async Task<Results<Ok<CentralLogPage>, ProblemHttpResult>> ListAsync(
        [AsParameters] ListParameters query, HttpContext http, EventQueryStore events, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var page = WholeNumber(query.Page, "page", 1, 1, int.MaxValue / 1000, errors);
        var pageSize = WholeNumber(query.PageSize, "page_size", 50, 1, 1000, errors);
        var from = Date(query.StartDate, "start_date", endOfDay: false, errors);
        var to = Date(query.EndDate, "end_date", endOfDay: true, errors);
        var category = QueryText.Filter(query.Category, "category", EventValidator.MaxTypeLength, errors);
        var environment = QueryText.Filter(query.Environment, "environment", EventValidator.MaxEnvironmentLength, errors);
        var ticketId = QueryText.Filter(query.TicketId, "ticket_id", QueryText.MaxPropertyFilterLength, errors);
        var status = QueryText.Filter(query.Status, "status", QueryText.MaxPropertyFilterLength, errors);
        if (errors.Count > 0) return Problems.Validation(errors);

        var filter = new EventFilter(Type: category, Environment: environment, From: from, To: to, TicketId: ticketId, StatusText: status);
        var tenant = http.User.TenantId();
        var (found, total) = await events.PageAsync(tenant, filter, (page - 1) * pageSize, pageSize, cancellationToken);
        return TypedResults.Ok(new CentralLogPage(
            [.. found.Select(e => CentralLog.From(tenant, e))],
            new CentralLogPagination(page, pageSize, total, (int)((total + pageSize - 1) / pageSize))));
    }

    public static async Task<Results<Ok<CentralLog>, ProblemHttpResult>> GetAsync(string logId, HttpContext http, EventQueryStore events, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(logId, "D", out var id)) return Problems.NotFound("log_id", "Log not found.");
        var tenant = http.User.TenantId();
        var stored = await events.GetAsync(tenant, id, cancellationToken);
        return stored is null ? Problems.NotFound("log_id", "Log not found.") : TypedResults.Ok(CentralLog.From(tenant, stored));
    }

    public static async Task<Results<Ok<CentralOverview>, ProblemHttpResult>> GetOverviewAsync(string? days, HttpContext http, IClusterClient cluster)
    {
        var errors = new List<FieldError>();
        var span = WholeNumber(days, "days", 7, 1, 90, errors);
        if (errors.Count > 0) return Problems.Validation(errors);
        var categories = await cluster.GetGrain<ITenantMetricsGrain>(http.User.TenantId()).GetCategoriesOverDaysAsync(span);
        var total = default(MetricsTotals);
        foreach (var category in categories.Categories) total.Add(category.Totals);
        return TypedResults.Ok(new CentralOverview(total.Count, Percent(total), Seconds(total), total.Failure, span));
    }

    public static async Task<Results<Ok<CentralCategories>, ProblemHttpResult>> GetCategoriesAsync(string? days, HttpContext http, IClusterClient cluster)
    {
        var errors = new List<FieldError>();
        var span = days is { Length: > 0 } ? WholeNumber(days, "days", 7, 1, 90, errors) : 0;
        if (errors.Count > 0) return Problems.Validation(errors);
        var grain = cluster.GetGrain<ITenantMetricsGrain>(http.User.TenantId());
        var categories = span == 0 ? await grain.GetCategoriesAsync(MetricsWindow.All) : await grain.GetCategoriesOverDaysAsync(span);
        return TypedResults.Ok(new CentralCategories([.. categories.Categories.Select(c => new CentralCategory(c.Type, c.Totals.Count, c.Totals.Success, Percent(c.Totals)))]));
    }

    private static double Percent(in MetricsTotals t) => t.SuccessRate is { } rate ? Math.Round(rate * 100, 1) : 0;

    private static double Seconds(in MetricsTotals t) => t.AverageDurationMs is { } ms ? Math.Round(ms / 1000, 2) : 0;

    private static int WholeNumber(string? text, string field, int fallback, int min, int max, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(text)) return fallback;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        errors.Add(new FieldError(field, $"must be a whole number from {min} to {max}"));
        return fallback;
    }

    /// <summary>
    /// A date (the whole day, inclusive) or a date-time; the end of a range becomes exclusive. An end
    /// on the calendar's last day or microsecond has no exclusive end after it: it bounds nothing (null).
    /// </summary>
    private static DateTimeOffset? Date(string? text, string field, bool endOfDay, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            if (!endOfDay) return start;
            return day == DateOnly.MaxValue ? null : start.AddDays(1);
        }
        if (EventValidator.TryParseRfc3339(CompatJson.Timestamp(text)!, out var instant))
        {
            if (!endOfDay) return instant;
            // The store keeps microseconds: the exclusive end is the next one, when the calendar has it.
            return DateTimeOffset.MaxValue.UtcTicks - instant.UtcTicks < 10 ? null : instant.AddTicks(10);
        }
        errors.Add(new FieldError(field, "must be a date (2025-12-24) or a date-time (2025-12-24T10:30:00Z)"));
        return null;
    }
}
