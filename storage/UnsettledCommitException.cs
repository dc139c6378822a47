namespace Telemetry.Storage;

/// <summary>
/// A group commit whose COMMIT failed without an answer: it may or may not have happened. Only a new
/// claim of the tenant's log can tell, because a claim waits until every commit of the old writer ended.
/// </summary>
public sealed class UnsettledCommitException(Exception inner)
    : Exception("The commit's outcome is unknown.", inner);
