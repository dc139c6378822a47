using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Compat;

/// <summary>
/// Helpers the compatible surfaces share to turn their bodies into native drafts: reading their
/// fields with their names in errors, and writing what has no native field into properties.
/// </summary>
public static class CompatJson
{
    /// <summary>A JSON object assembled from values: raw JSON elements and plain strings or numbers.</summary>
    public sealed class PropertiesBuilder
    {
        private readonly List<(string Name, Action<Utf8JsonWriter> Write)> _fields = [];

        public PropertiesBuilder Add(string name, JsonElement? value)
        {
            // Copied as sent, escapes and all: re-encoding would throw on a lone surrogate escape before the
            // validator could refuse it with a 422, and the validator reads this text as the client wrote it.
            if (value is { } v && v.ValueKind != JsonValueKind.Undefined) _fields.Add((name, w => w.WriteRawValue(v.GetRawText())));
            return this;
        }

        public PropertiesBuilder Add(string name, string? value)
        {
            if (value is not null) _fields.Add((name, w => w.WriteStringValue(value)));
            return this;
        }

        /// <summary>Adds every field of <paramref name="source"/> (a JSON object).</summary>
        public PropertiesBuilder AddAll(JsonElement? source)
        {
            if (source is { ValueKind: JsonValueKind.Object } o)
            {
                foreach (var property in o.EnumerateObject()) Add(property.Name, property.Value);
            }
            return this;
        }

        public string ToJson()
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                foreach (var (name, write) in _fields)
                {
                    writer.WritePropertyName(name);
                    write(writer);
                }
                writer.WriteEndObject();
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
    }

    /// <summary>
    /// A body's top-level fields by name (first copy wins; a repeated name is an error), with the names
    /// it must have and the names it may have; others go in <paramref name="extra"/>.
    /// </summary>
    public static Dictionary<string, JsonElement> Fields(JsonElement body, string prefix, List<FieldError> errors, out List<(string Name, JsonElement Value)> extra)
    {
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        extra = [];
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError(prefix.Length > 0 ? prefix : "body", "must be a JSON object"));
            return fields;
        }
        try
        {
            foreach (var property in body.EnumerateObject())
            {
                if (!fields.TryAdd(property.Name, property.Value)) errors.Add(new FieldError(prefix + property.Name, "appears more than once"));
            }
        }
        catch (InvalidOperationException)
        {
            errors.Add(new FieldError(prefix.Length > 0 ? prefix : "body", "holds a name that is not valid Unicode"));
        }
        return fields;
    }

    /// <summary>An optional string field: null when absent or JSON null; an error when of another kind.</summary>
    public static string? Text(Dictionary<string, JsonElement> fields, string name, string prefix, List<FieldError> errors, bool required = false)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) errors.Add(new FieldError(prefix + name, "is required"));
            return null;
        }
        if (value.ValueKind != JsonValueKind.String || !EventJsonReader.TryGetString(value, out var text))
        {
            errors.Add(new FieldError(prefix + name, "must be a string"));
            return null;
        }
        return text;
    }

    /// <summary>An optional object field, as its raw JSON; an error when of another kind.</summary>
    public static JsonElement? JsonObject(Dictionary<string, JsonElement> fields, string name, string prefix, List<FieldError> errors, bool required = false)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) errors.Add(new FieldError(prefix + name, "is required"));
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError(prefix + name, "must be a JSON object"));
            return null;
        }
        return value;
    }

    /// <summary>An optional number field; an error when of another kind or not finite.</summary>
    public static double? Number(Dictionary<string, JsonElement> fields, string name, string prefix, List<FieldError> errors)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            errors.Add(new FieldError(prefix + name, "must be a finite number"));
            return null;
        }
        return number;
    }

    /// <summary>
    /// An ISO 8601 date-time as the older services took it (Python's datetime): with an offset, or
    /// without one, which is taken as UTC. Answers RFC 3339 text for the native validator.
    /// </summary>
    public static string? Timestamp(string? text)
    {
        if (text is null) return null;
        if (EventValidator.TryParseRfc3339(text, out _)) return text;
        return System.Text.RegularExpressions.Regex.IsMatch(text, @"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$")
            ? text.Replace(' ', 'T') + "Z"
            : text;
    }

    /// <summary>Renames the native validator's fields (type → event_type, ...) to a surface's, under a prefix (events[2].).</summary>
    public static List<FieldError> Rename(IEnumerable<FieldError> errors, IReadOnlyDictionary<string, string> names, string prefix = "") =>
        [.. errors.Select(e => names.TryGetValue(e.Field, out var renamed) ? e with { Field = prefix + renamed } : e)];
}
