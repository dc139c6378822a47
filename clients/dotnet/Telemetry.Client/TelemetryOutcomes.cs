namespace Telemetry.Client;

/// <summary>A rule of the server's that an event broke: the field and why (the server's 422 words).</summary>
public sealed record TelemetryFieldError(string Field, string Message);

/// <summary>An event the server refused (422): never retried, reported so that it is not lost silently.</summary>
public sealed record TelemetryRejection(TelemetryEvent Event, IReadOnlyList<TelemetryFieldError> Errors);

/// <summary>
/// Events that could not be delivered: a refusal that retrying cannot mend (401, 403, 413 of one event, another 4xx), the
/// retries used up, or the client shut down before they went. <see cref="StatusCode"/> is null for a network failure.
/// </summary>
public sealed record TelemetryDeliveryFailure(IReadOnlyList<TelemetryEvent> Events, int? StatusCode, string Reason);

/// <summary>What a client did since it was made.</summary>
public sealed record TelemetryClientStats(
    long Enqueued, long Delivered, long Duplicates, long Rejected, long Failed, long Dropped, long Retries, int Queued);
