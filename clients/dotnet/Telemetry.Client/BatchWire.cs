using System.Text.Json.Serialization;

namespace Telemetry.Client;

/// <summary>The body of <c>POST /v1/events/batch</c>.</summary>
internal sealed record BatchRequest(IReadOnlyList<TelemetryEvent> Events);

/// <summary>The server's answer to a batch (200, or 422 when none was valid): one result per event, in order.</summary>
internal sealed record BatchAnswer(int Accepted, int Duplicates, int Rejected, List<BatchItem> Results);

internal sealed record BatchItem(int Index, Guid? Id, string Status, List<TelemetryFieldError>? Errors);

/// <summary>Source-generated JSON in the server's snake_case, nulls left out.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BatchRequest))]
[JsonSerializable(typeof(BatchAnswer))]
internal sealed partial class ClientJson : JsonSerializerContext;
