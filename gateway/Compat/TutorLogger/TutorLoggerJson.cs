using System.Text.Json.Serialization;

namespace Telemetry.Gateway.Compat.TutorLogger;

/// <summary>Source-generated JSON for the tutor logger's answers, in its snake_case.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TutorLoggerCreated))]
internal sealed partial class TutorLoggerJson : JsonSerializerContext;
