using Microsoft.AspNetCore.Mvc;
using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Query;

/// <summary>The query string of <c>GET /v1/events</c> and its export, as sent; <see cref="TryParse"/> checks it.</summary>
public sealed record EventQueryParameters(
    [property: FromQuery(Name = "type")] string? Type,
    [property: FromQuery(Name = "status")] string? Status,
    [property: FromQuery(Name = "user_id")] string? UserId,
    [property: FromQuery(Name = "session_id")] string? SessionId,
    [property: FromQuery(Name = "environment")] string? Environment,
    [property: FromQuery(Name = "from")] string? From,
    [property: FromQuery(Name = "to")] string? To,
    [property: FromQuery(Name = "limit")] string? Limit,
    [property: FromQuery(Name = "cursor")] string? Cursor)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>The filter, page size and cursor, or the errors that make the query invalid.</summary>
    public bool TryParse(out EventFilter filter, out int limit, out EventCursor? cursor, out List<FieldError> errors)
    {
        errors = [];
        EventStatus? status = null;
        if (Empty(Status) is { } statusText)
        {
            if (statusText.Equals("success", StringComparison.OrdinalIgnoreCase)) status = EventStatus.Success;
            else if (statusText.Equals("failure", StringComparison.OrdinalIgnoreCase)) status = EventStatus.Failure;
            else errors.Add(new FieldError("status", "must be \"success\" or \"failure\""));
        }
        var from = QueryText.Time(From, "from", errors);
        var to = QueryText.Time(To, "to", errors);
        if (from is { } f && to is { } t && t <= f) errors.Add(new FieldError("to", "must be later than from"));

        limit = QueryText.Limit(Limit, MaxLimit, DefaultLimit, errors);

        cursor = null;
        if (Empty(Cursor) is { } cursorText)
        {
            if (EventCursor.TryDecode(cursorText, out var decoded)) cursor = decoded;
            else errors.Add(new FieldError("cursor", "is not a cursor this API gave out"));
        }

        var type = QueryText.Filter(Type, "type", EventValidator.MaxTypeLength, errors);
        var userId = QueryText.Filter(UserId, "user_id", EventValidator.MaxUserIdLength, errors);
        var sessionId = QueryText.Filter(SessionId, "session_id", EventValidator.MaxSessionIdLength, errors);
        var environment = QueryText.Filter(Environment, "environment", EventValidator.MaxEnvironmentLength, errors);

        filter = new EventFilter(type, status, userId, sessionId, environment, from, to);
        return errors.Count == 0;
    }

    private static string? Empty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
