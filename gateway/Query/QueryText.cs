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
}
