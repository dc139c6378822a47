using System.ComponentModel.DataAnnotations;

namespace Telemetry.Grains;

/// <summary>Tuning of the tenant event log (configuration section <c>EventLog</c>).</summary>
public sealed class EventLogOptions
{
    public const string Section = "EventLog";

    /// <summary>
    /// Most distinct event types a tenant may have, ever (default 10,000): every type is a category that
    /// the metrics grains keep in memory for every bucket, so a client that puts an id in the type would
    /// otherwise grow them without bound. Events of a new type past the cap are refused (422 on type).
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxTypes { get; set; } = 10_000;

    /// <summary>
    /// Most group commits of one tenant in flight at once (default 2). The first starts whenever events wait;
    /// each further one only when at least <see cref="MinEventsForAnotherCommit"/> wait, so that a tenant
    /// of single events keeps one commit at a time with large groups (where the CPU is the limit, more commits
    /// make groups smaller and each event dearer: on the 2-core bench machine 4 always in flight gave 1,843
    /// single events/s at 998 µs of CPU an event, 1 gave 3,188/s at 543 µs, bench/results/2026-12-04-pipelined-4.md
    /// and -1.md), while a tenant of batches uses a second PostgreSQL backend when one is busy with a commit.
    /// Each holds a pooled connection while it runs.
    /// </summary>
    [Range(1, 64)]
    public int CommitsInFlight { get; set; } = 2;

    /// <summary>Events that must wait before a commit starts while another is in flight (default 500; 0: whenever any wait).</summary>
    [Range(0, int.MaxValue)]
    public int MinEventsForAnotherCommit { get; set; } = 500;

    /// <summary>Longest a new activation of a tenant's log waits for the previous writer's commits to end (default 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan ClaimLockTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most events in one group commit.</summary>
    [Range(1, int.MaxValue)]
    public int MaxCommitEvents { get; set; } = 5000;

    /// <summary>Events waiting for a commit beyond which appends are refused (503) until the log catches up.</summary>
    [Range(1, int.MaxValue)]
    public int MaxPendingEvents { get; set; } = 100_000;

    /// <summary>Most events handed to the metrics grains in one round.</summary>
    [Range(1, int.MaxValue)]
    public int MaxDispatchEvents { get; set; } = 5000;

    /// <summary>Committed events kept in memory for dispatch; past that, the dispatcher reads them back from PostgreSQL.</summary>
    [Range(1, int.MaxValue)]
    public int MaxQueuedDispatchEvents { get; set; } = 200_000;

    /// <summary>How often the log retries a stalled dispatch and saves its cursor when it moved.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A group commit that takes longer than this is logged as slow.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SlowCommit { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Least time between two saves of the dispatch cursor.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan CursorSaveInterval { get; set; } = TimeSpan.FromSeconds(5);
}
