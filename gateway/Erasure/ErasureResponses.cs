namespace Telemetry.Gateway.Erasure;

/// <summary>An erasure request: its progress, and once done how many rows it removed; also the audit record of who asked.</summary>
public sealed record ErasureResponse(
    Guid Id, string UserId, string Status, bool ForgetIds, ErasureRequester RequestedBy, DateTimeOffset RequestedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, long EventsErased, long IdsForgotten, long RejectedErased, string? Error)
{
    public static ErasureResponse Of(UserErasureStore.Erasure e) => new(
        e.Id, e.UserId, e.Status, e.ForgetIds, new ErasureRequester(e.RequestedBy, e.RequestedByName), e.RequestedAt,
        e.StartedAt, e.FinishedAt, e.EventsErased, e.IdsForgotten, e.RejectedErased, e.Error);
}

/// <summary>The API key that asked for an erasure (its name is null once the key is gone).</summary>
public sealed record ErasureRequester(Guid KeyId, string? KeyName);

public sealed record ErasurePage(IReadOnlyList<ErasureResponse> Data, string? NextCursor);
