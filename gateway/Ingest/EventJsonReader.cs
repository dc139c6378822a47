namespace Telemetry.Gateway.Ingest;

/// <summary>
/// Reads a native event object into an <see cref="EventDraft"/>, checking its shape: known fields
/// only, each once, each of the right JSON kind. JSON null counts as absent.
/// </summary>
public static class EventJsonReader
{
    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
    {
        "id", "type", "status", "user_id", "session_id", "environment", "timestamp", "duration_ms", "properties",
    };

    /// <summary>The draft, with the shape errors added to <paramref name="errors"/>.</summary>
    public static EventDraft Read(JsonElement element, List<FieldError> errors)
    {
        try
        {
            return ReadObject(element, errors);
        }
        catch (InvalidOperationException)
        {
            // A field name with an unpaired surrogate escape cannot even be read.
            errors.Add(new FieldError("event", "holds a name that is not valid Unicode"));
            return new EventDraft();
        }
    }

    private static EventDraft ReadObject(JsonElement element, List<FieldError> errors)
    {
        var draft = new EventDraft();
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("event", "must be a JSON object"));
            return draft;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            if (!Fields.Contains(name))
            {
                errors.Add(new FieldError(Printable(name), "is not a field of the event"));
                continue;
            }
            if (!seen.Add(name))
            {
                errors.Add(new FieldError(name, "appears more than once"));
                continue;
            }

            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null) continue;
            switch (name)
            {
                case "duration_ms":
                    if (value.ValueKind != JsonValueKind.Number) errors.Add(new FieldError(name, "must be a number"));
                    else if (!value.TryGetDouble(out var duration) || !double.IsFinite(duration)) errors.Add(new FieldError(name, "must be a finite number"));
                    else draft.DurationMs = duration;
                    break;
                case "properties":
                    if (value.ValueKind != JsonValueKind.Object) errors.Add(new FieldError(name, "must be a JSON object"));
                    else draft.PropertiesJson = value.GetRawText();
                    break;
                default:
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        errors.Add(new FieldError(name, "must be a string"));
                        break;
                    }
                    if (!TryGetString(value, out var text))
                    {
                        errors.Add(new FieldError(name, "is not valid Unicode"));
                        break;
                    }
                    Assign(draft, name, text);
                    break;
            }
        }
        return draft;
    }

    /// <summary>A JSON string's text, or false when it holds an unpaired surrogate escape.</summary>
    public static bool TryGetString(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
            return TextRules.IsWellFormed(text);
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    private static void Assign(EventDraft draft, string name, string text)
    {
        switch (name)
        {
            case "id": draft.Id = text; break;
            case "type": draft.Type = text; break;
            case "status": draft.Status = text; break;
            case "user_id": draft.UserId = text; break;
            case "session_id": draft.SessionId = text; break;
            case "environment": draft.Environment = text; break;
            case "timestamp": draft.Timestamp = text; break;
        }
    }

    /// <summary>An unknown field's name as it can be echoed back: at most 64 characters, control characters escaped.</summary>
    private static string Printable(string name)
    {
        var shown = name.Length > 64 ? name[..64] + "…" : name;
        return TextRules.HasControl(shown) || !TextRules.IsWellFormed(shown) ? JsonSerializer.Serialize(shown) : shown;
    }
}
