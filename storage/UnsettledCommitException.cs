namespace Telemetry.Storage;

/// <summary>
/// A group commit whose COMMIT failed without an answer: it may or may not have happened. Carries the
/// plan it followed (which events got which sequence numbers, which were refused), so that the writer's
/// caller can tell from the log head whether it did and answer each event accordingly.
/// </summary>
public sealed class UnsettledCommitException(EventBatchWriter.Result planned, Exception inner)
    : Exception("The commit's outcome is unknown.", inner)
{
    public EventBatchWriter.Result Planned { get; } = planned;
}
