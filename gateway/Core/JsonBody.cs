namespace Telemetry.Gateway.Core;

/// <summary>
/// A request body that is one JSON document, parsed in place over its pooled buffer: how every
/// endpoint that takes one reads it, with the same limits and refusals (413, 400). Disposing it
/// returns the buffer.
/// </summary>
public sealed class JsonBody : IDisposable
{
    private readonly RequestBody _body;
    private readonly JsonDocument _document;

    private JsonBody(RequestBody body, JsonDocument document)
    {
        _body = body;
        _document = document;
    }

    public JsonElement Root => _document.RootElement;

    /// <summary>Reads and parses the body, or answers the problem that refuses it.</summary>
    /// <param name="maxDepth">Deepest nesting allowed; 0 for System.Text.Json's default (64).</param>
    public static async Task<(JsonBody? Body, ProblemHttpResult? Refused)> ReadAsync(HttpRequest request, int maxBytes, int maxDepth, CancellationToken cancellationToken)
    {
        var (body, refusal) = await RequestBody.ReadAsync(request, maxBytes, cancellationToken);
        if (body is null) return (null, Problems.Refused(refusal!));
        try
        {
            return (new JsonBody(body, JsonDocument.Parse(body.Memory, new JsonDocumentOptions { MaxDepth = maxDepth })), null);
        }
        catch (JsonException ex)
        {
            body.Dispose();
            return (null, Problems.Status(StatusCodes.Status400BadRequest, "body", $"The body is not JSON: {ex.Message}"));
        }
    }

    public void Dispose()
    {
        _document.Dispose();
        _body.Dispose();
    }
}
