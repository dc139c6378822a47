using System.Text.Json.Serialization;

namespace Telemetry.Gateway.Compat.EventCollector;

/// <summary>Source-generated JSON for the event collector's HTTP answers, in its snake_case.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CollectResult))]
[JsonSerializable(typeof(ReadyResponse))]
internal sealed partial class EventCollectorJson : JsonSerializerContext;
