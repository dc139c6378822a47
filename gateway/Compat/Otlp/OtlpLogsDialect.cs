using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Telemetry.Gateway.Compat.Otlp.Proto;
using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Compat.Otlp;

/// <summary>
/// OTLP log records as native events: the event name (or <c>log</c>) is the type, severity ERROR and above a failure,
/// below it a success; <c>user.id</c>/<c>enduser.id</c> and <c>session.id</c> attributes name the user and session; the
/// resource's <c>deployment.environment(.name)</c> is the environment; the body, severity, attributes, resource, scope,
/// <c>service.name</c> and trace and span ids go in the properties. Each record's id is derived from its content, so an
/// exporter's retry of a batch is stored once.
/// </summary>
public static class OtlpLogsDialect
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>An OTLP/JSON body as the request message; OTLP/JSON writes trace and span ids in hex where protobuf's JSON has base64.</summary>
    public static ExportLogsServiceRequest ParseJson(ReadOnlySpan<byte> utf8)
    {
        var root = JsonNode.Parse(utf8) as JsonObject ?? throw new FormatException("The body is not a JSON object.");
        foreach (var resource in root["resourceLogs"] as JsonArray ?? [])
        {
            foreach (var scope in resource?["scopeLogs"] as JsonArray ?? [])
            {
                foreach (var record in scope?["logRecords"] as JsonArray ?? [])
                {
                    if (record is not JsonObject fields) continue;
                    foreach (var id in new[] { "traceId", "spanId" })
                    {
                        if (fields[id] is JsonValue value && value.TryGetValue<string>(out var hex) && hex.Length > 0)
                        {
                            fields[id] = Convert.ToBase64String(Convert.FromHexString(hex));
                        }
                    }
                }
            }
        }
        return Parser.Parse<ExportLogsServiceRequest>(root.ToJsonString());
    }

    /// <summary>Every record of the request as a draft, in order.</summary>
    public static List<(EventDraft Draft, List<FieldError> Errors)> Read(ExportLogsServiceRequest request)
    {
        var items = new List<(EventDraft, List<FieldError>)>();
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var resource = resourceLogs.Resource?.Attributes ?? [];
            var resourceBytes = resourceLogs.Resource?.ToByteArray() ?? [];
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var scopeBytes = scopeLogs.Scope?.ToByteArray() ?? [];
                var index = 0;
                foreach (var record in scopeLogs.LogRecords)
                {
                    var id = Id(resourceBytes, scopeBytes, record, index++);
                    try
                    {
                        items.Add((Draft(resource, scopeLogs.Scope, record, id), []));
                    }
                    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                    {
                        // Text JSON cannot carry (a lone surrogate from an OTLP/JSON escape): this record alone is refused.
                        items.Add((new EventDraft { Id = id.ToString(), Type = "log" }, [new FieldError("properties", "holds text that is not valid Unicode")]));
                    }
                }
            }
        }
        return items;
    }

    private static EventDraft Draft(IEnumerable<KeyValue> resource, InstrumentationScope? scope, LogRecord record, Guid id)
    {
        var nanos = record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano;
        var properties = new CompatJson.PropertiesBuilder();
        if (record.Body is { } body) properties.Add("body", Json(body));
        if (record.SeverityText.Length > 0) properties.Add("severity_text", record.SeverityText);
        if (record.SeverityNumber != 0) properties.Add("severity_number", Element(JsonValue.Create(record.SeverityNumber)));
        if (record.Attributes.Count > 0) properties.Add("attributes", Json(record.Attributes));
        var resourceAttributes = resource.ToList();
        if (resourceAttributes.Count > 0) properties.Add("resource", Json(resourceAttributes));
        if (Text(resourceAttributes, "service.name") is { } service) properties.Add("service_name", service);
        if (scope is { Name.Length: > 0 }) properties.Add("scope", scope.Version.Length > 0 ? $"{scope.Name} {scope.Version}" : scope.Name);
        if (!record.TraceId.IsEmpty) properties.Add("trace_id", Convert.ToHexStringLower(record.TraceId.Span));
        if (!record.SpanId.IsEmpty) properties.Add("span_id", Convert.ToHexStringLower(record.SpanId.Span));
        return new EventDraft
        {
            Id = id.ToString(),
            Type = record.EventName.Length > 0 ? record.EventName : Text(record.Attributes, "event.name") ?? "log",
            Status = record.SeverityNumber switch { >= 17 => "failure", >= 1 => "success", _ => null },
            UserId = Text(record.Attributes, "user.id") ?? Text(record.Attributes, "enduser.id"),
            SessionId = Text(record.Attributes, "session.id"),
            Environment = Text(resourceAttributes, "deployment.environment.name") ?? Text(resourceAttributes, "deployment.environment"),
            Timestamp = nanos == 0 ? null : Rfc3339(nanos),
            PropertiesJson = properties.ToJson(),
        };
    }

    /// <summary>A version-8 UUID from the SHA-256 of the record, its resource and scope, and its place in the scope.</summary>
    private static Guid Id(byte[] resource, byte[] scope, LogRecord record, int index)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(resource);
        hash.AppendData(scope);
        hash.AppendData(record.ToByteArray());
        hash.AppendData(BitConverter.GetBytes(index));
        var bytes = hash.GetHashAndReset().AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private static string Rfc3339(ulong nanos)
    {
        var at = DateTimeOffset.UnixEpoch.AddTicks((long)(nanos / 100));
        return at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
    }

    private static string? Text(IEnumerable<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value is { ValueCase: AnyValue.ValueOneofCase.StringValue } value ? value.StringValue : null;

    private static JsonElement Json(IEnumerable<KeyValue> attributes) => Element(Object(attributes));

    private static JsonElement Json(AnyValue value) => Element(Node(value));

    private static JsonElement Element(JsonNode? node) => JsonSerializer.SerializeToElement(node, OtlpJson.Default.JsonNode);

    /// <summary>Attributes as a JSON object; a key given twice keeps its last value.</summary>
    private static JsonObject Object(IEnumerable<KeyValue> attributes)
    {
        var node = new JsonObject();
        foreach (var attribute in attributes) node[attribute.Key] = Node(attribute.Value);
        return node;
    }

    private static JsonNode? Node(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => JsonValue.Create(value.StringValue),
        AnyValue.ValueOneofCase.BoolValue => JsonValue.Create(value.BoolValue),
        AnyValue.ValueOneofCase.IntValue => JsonValue.Create(value.IntValue),
        AnyValue.ValueOneofCase.DoubleValue => double.IsFinite(value.DoubleValue) ? JsonValue.Create(value.DoubleValue) : JsonValue.Create(value.DoubleValue.ToString(CultureInfo.InvariantCulture)),
        AnyValue.ValueOneofCase.BytesValue => JsonValue.Create(value.BytesValue.ToBase64()),
        AnyValue.ValueOneofCase.ArrayValue => new JsonArray([.. value.ArrayValue.Values.Select(Node)]),
        AnyValue.ValueOneofCase.KvlistValue => Object(value.KvlistValue.Values),
        _ => null,
    };
}

/// <summary>Source-generated JSON for the OTLP dialect's answers and its conversions of attributes.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class OtlpJson : System.Text.Json.Serialization.JsonSerializerContext;
