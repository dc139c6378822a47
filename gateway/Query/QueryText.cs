using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Query;

/// <summary>
/// The rule for a text filter in a query string, native or compatible: text PostgreSQL can hold
/// (no NUL, no unpaired surrogate) no longer than the column it filters, or a 422 naming the parameter.
/// </summary>
public static class QueryText
{
    /// <summary>
    /// Filters on a value kept in an event's properties (the central logger's <c>ticket_id</c> and
    /// <c>status</c>): as long as a user id may be, far beyond any ticket or status a client sends.
    /// </summary>
    public const int MaxPropertyFilterLength = 256;

    /// <summary>The filter value, or null when absent or empty; an invalid one adds an error naming <paramref name="parameter"/>.</summary>
    public static string? Filter(string? value, string parameter, int maxLength, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(value)) return null;
        // A NUL would reach PostgreSQL, which refuses it in text (22021): a data error, not an outage.
        if (TextRules.IsWellFormed(value) && TextRules.Length(value) <= maxLength) return value;
        errors.Add(new FieldError(parameter, $"must be at most {maxLength} characters of valid text"));
        return null;
    }

    /// <summary>An RFC 3339 date-time with an offset, or null when absent or empty; an invalid one adds an error naming <paramref name="parameter"/>.</summary>
    public static DateTimeOffset? Time(string? value, string parameter, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (EventValidator.TryParseRfc3339(value, out var parsed)) return parsed;
        errors.Add(new FieldError(parameter, "must be an RFC 3339 date-time with an offset, such as 2026-11-23T06:04:27Z"));
        return null;
    }

    /// <summary>A page size from 1 to <paramref name="max"/>, or <paramref name="otherwise"/> when absent; an invalid one adds an error.</summary>
    public static int Limit(string? value, int max, int otherwise, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(value)) return otherwise;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 && limit <= max) return limit;
        errors.Add(new FieldError("limit", $"must be a whole number from 1 to {max}"));
        return otherwise;
    }
}
