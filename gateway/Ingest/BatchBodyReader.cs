namespace Telemetry.Gateway.Ingest;

/// <summary>Splits a batch body into event drafts: a <c>{"events": [...]}</c> envelope, or NDJSON with one event a line.</summary>
public static class BatchBodyReader
{
    /// <summary>The drafts with their shape errors, or the problem that refuses the whole body.</summary>
    public sealed record Read(List<(EventDraft Draft, List<FieldError> Errors)> Items, ProblemHttpResult? Problem);

    public static Read ReadEnvelope(ReadOnlyMemory<byte> body, IngestOptions options)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth });
        }
        catch (JsonException ex)
        {
            return Refuse(Problems.Status(StatusCodes.Status400BadRequest, "body", $"The body is not JSON: {ex.Message}"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                return Refuse(Problems.Validation([new FieldError("events", "is required: the body is {\"events\": [...]}")]));
            }
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name != "events") return Refuse(Problems.Validation([new FieldError(property.Name, "is not a field of a batch")]));
            }

            var count = events.GetArrayLength();
            if (count > options.MaxBatchEvents) return Refuse(TooMany(options));
            if (count == 0) return Refuse(Problems.Validation([new FieldError("events", $"must hold 1 to {options.MaxBatchEvents} events")]));

            var items = new List<(EventDraft, List<FieldError>)>(count);
            foreach (var element in events.EnumerateArray())
            {
                var errors = new List<FieldError>();
                items.Add((EventJsonReader.Read(element, errors), errors));
            }
            return new Read(items, null);
        }
    }

    public static Read ReadNdjson(ReadOnlyMemory<byte> body, IngestOptions options)
    {
        var items = new List<(EventDraft, List<FieldError>)>();
        var rest = body;
        while (!rest.IsEmpty)
        {
            var newline = rest.Span.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? ReadOnlyMemory<byte>.Empty : rest[(newline + 1)..];
            if (IsBlank(line.Span)) continue;
            if (items.Count == options.MaxBatchEvents) return Refuse(TooMany(options));

            var errors = new List<FieldError>();
            try
            {
                using var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth });
                items.Add((EventJsonReader.Read(document.RootElement, errors), errors));
            }
            catch (JsonException)
            {
                errors.Add(new FieldError("event", "this line is not JSON"));
                items.Add((new EventDraft(), errors));
            }
        }
        if (items.Count == 0) return Refuse(Problems.Validation([new FieldError("events", $"must hold 1 to {options.MaxBatchEvents} events, one per line")]));
        return new Read(items, null);
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        }
        return true;
    }

    private static ProblemHttpResult TooMany(IngestOptions options) =>
        Problems.Status(StatusCodes.Status413PayloadTooLarge, "events", $"A batch holds at most {options.MaxBatchEvents} events.");

    private static Read Refuse(ProblemHttpResult problem) => new([], problem);
}
