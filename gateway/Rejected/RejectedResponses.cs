namespace Telemetry.Gateway.Rejected;

/// <summary>A kept refused event: what was sent (as a native event), why it was refused, and whether it was replayed.</summary>
public sealed record RejectedEventResponse(long Id, string Surface, Guid? EventId, JsonElement Event, JsonElement Errors, DateTimeOffset ReceivedAt,
    DateTimeOffset? ReplayedAt, string? ReplayStatus)
{
    public static RejectedEventResponse Of(RejectedEventStore.Rejection r)
    {
        using var e = JsonDocument.Parse(r.Event);
        using var errors = JsonDocument.Parse(r.Reasons);
        return new RejectedEventResponse(r.Id, r.Surface, r.EventId, e.RootElement.Clone(), errors.RootElement.Clone(), r.ReceivedAt, r.ReplayedAt, r.ReplayStatus);
    }
}

public sealed record RejectedPage(IReadOnlyList<RejectedEventResponse> Data, string? NextCursor);

/// <summary>How one replayed event went: <c>accepted</c>, <c>duplicate</c>, <c>rejected</c> (with errors) or <c>not_found</c>.</summary>
public sealed record ReplayResult(long RejectedId, Guid? Id, string Status, IReadOnlyList<FieldError> Errors);

public sealed record ReplayResponse(IReadOnlyList<ReplayResult> Results);
