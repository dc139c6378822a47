using System.ComponentModel.DataAnnotations;

namespace Telemetry.Silo;

/// <summary>How long raw events, usage and erasure records are kept, and how often that is looked after (configuration section <c>Retention</c>).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>The setting of <see cref="RetentionDays"/>, named as the contract names it.</summary>
    public const string DaysKey = "TELEMETRY_RETENTION_DAYS";

    /// <summary>
    /// Days of raw events to keep, by time of receipt (<c>TELEMETRY_RETENTION_DAYS</c>); unset or 0 keeps
    /// them forever. Whole weeks are dropped, so events are kept at least this long and at most a week longer.
    /// </summary>
    public int? RetentionDays { get; set; }

    /// <summary>Days of per-hour usage to keep (default 400: a year of billing and its disputes); 0 keeps it forever.</summary>
    [Range(0, 36_500)]
    public int UsageDays { get; set; } = 400;

    /// <summary>Days an erasure's audit record is kept after it ended (default 1,095: three years); 0 keeps them forever.</summary>
    [Range(0, 36_500)]
    public int ErasureAuditDays { get; set; } = 1_095;

    /// <summary>How often a silo makes the coming weeks' partitions and drops expired ones (default hourly).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);
}
