namespace Telemetry.Gateway.Ingest;

/// <summary>The answer to a single event: 201 when stored, 200 with <c>duplicate</c> when it was already.</summary>
public sealed record IngestedEvent(Guid Id, DateTimeOffset ReceivedAt, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? Duplicate = null);

/// <summary>The answer to a batch: totals and one result per event, in request order.</summary>
public sealed record BatchResponse(int Accepted, int Duplicates, int Rejected, IReadOnlyList<BatchItemResult> Results);

/// <summary>What happened to one event of a batch: <c>accepted</c>, <c>duplicate</c> or <c>rejected</c> (with its errors).</summary>
public sealed record BatchItemResult(int Index, Guid? Id, string Status, IReadOnlyList<FieldError> Errors);

