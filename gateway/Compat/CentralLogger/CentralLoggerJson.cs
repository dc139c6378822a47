using System.Text.Json.Serialization;

namespace Telemetry.Gateway.Compat.CentralLogger;

/// <summary>Source-generated JSON for the central logger's answers, in its snake_case.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CentralLogCreated))]
[JsonSerializable(typeof(CentralLogBatchCreated))]
[JsonSerializable(typeof(CentralLogPage))]
[JsonSerializable(typeof(CentralLog))]
[JsonSerializable(typeof(CentralOverview))]
[JsonSerializable(typeof(CentralCategories))]
internal sealed partial class CentralLoggerJson : JsonSerializerContext;
