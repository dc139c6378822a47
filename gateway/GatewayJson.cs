using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Telemetry.Gateway.Alerts;
using Telemetry.Gateway.Erasure;
using Telemetry.Gateway.Health;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Keys;
using Telemetry.Gateway.Live;
using Telemetry.Gateway.Metrics;
using Telemetry.Gateway.Query;
using Telemetry.Gateway.Rejected;
using Telemetry.Gateway.Settings;
using Telemetry.Gateway.Usage;

namespace Telemetry.Gateway;

/// <summary>
/// Source-generated JSON for every body the native API writes: snake_case, nulls written out. Each compatible dialect
/// has its own context in its folder (<see cref="Compat.CompatSurfaces"/>).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IngestedEvent))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(OverviewResponse))]
[JsonSerializable(typeof(CategoriesResponse))]
[JsonSerializable(typeof(TimeseriesResponse))]
[JsonSerializable(typeof(UserMetricsResponse))]
[JsonSerializable(typeof(EventPage))]
[JsonSerializable(typeof(EventResponse))]
[JsonSerializable(typeof(LiveMetricsEvent))]
[JsonSerializable(typeof(HeartbeatEvent))]
[JsonSerializable(typeof(KeyList))]
[JsonSerializable(typeof(CreatedKeyResponse))]
[JsonSerializable(typeof(AlertRuleResponse))]
[JsonSerializable(typeof(CreatedAlertRuleResponse))]
[JsonSerializable(typeof(AlertRuleList))]
[JsonSerializable(typeof(AlertDeliveryList))]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(RejectedPage))]
[JsonSerializable(typeof(ReplayResponse))]
[JsonSerializable(typeof(ErasureResponse))]
[JsonSerializable(typeof(ErasurePage))]
[JsonSerializable(typeof(SettingsResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(LiveResponse))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
internal sealed partial class GatewayJson : JsonSerializerContext;
