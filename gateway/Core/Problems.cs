using Microsoft.AspNetCore.Mvc;

namespace Telemetry.Gateway.Core;

/// <summary>RFC 7807 problem details for every refusal the gateway answers.</summary>
public static class Problems
{
    private static readonly Dictionary<int, string> Titles = new()
    {
        [StatusCodes.Status400BadRequest] = "The request is malformed.",
        [StatusCodes.Status401Unauthorized] = "An API key is required.",
        [StatusCodes.Status403Forbidden] = "The API key lacks the scope this needs.",
        [StatusCodes.Status404NotFound] = "Not found.",
        [StatusCodes.Status413PayloadTooLarge] = "The request is too large.",
        [StatusCodes.Status415UnsupportedMediaType] = "The content type or encoding is not supported.",
        [StatusCodes.Status422UnprocessableEntity] = "One or more fields are invalid.",
        [StatusCodes.Status429TooManyRequests] = "Too many requests.",
        [StatusCodes.Status503ServiceUnavailable] = "The service is unavailable; nothing was stored.",
    };

    /// <summary>A refusal naming what it is about: a field, a header or the body, in an <c>errors</c> map as validation has.</summary>
    public static ProblemHttpResult Status(int status, string field, string detail)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [detail] };
        return TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = status,
            Title = Titles.GetValueOrDefault(status, "The request failed."),
            Detail = detail,
            Type = $"https://httpstatuses.io/{status}",
        });
    }

    public static ProblemHttpResult UnsupportedMediaType(string detail) => Status(StatusCodes.Status415UnsupportedMediaType, "Content-Type", detail);

    public static ProblemHttpResult NotFound(string field, string detail) => Status(StatusCodes.Status404NotFound, field, detail);

    public static ProblemHttpResult Refused(RequestBody.Refusal refusal) => Status(refusal.Status, refusal.Field, refusal.Detail);

    /// <summary>422 with an <c>errors</c> map from each field to its messages.</summary>
    public static ProblemHttpResult Validation(IEnumerable<FieldError> errors)
    {
        var map = errors
            .GroupBy(e => e.Field, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal);
        return TypedResults.Problem(new HttpValidationProblemDetails(map)
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = Titles[StatusCodes.Status422UnprocessableEntity],
            Detail = string.Join("; ", map.Select(p => $"{p.Key}: {string.Join(", ", p.Value)}")),
            Type = "https://httpstatuses.io/422",
        });
    }
}
