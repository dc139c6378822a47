using System.ComponentModel.DataAnnotations;

namespace Telemetry.Silo;

/// <summary>How long raw events are kept, and how often partitions are looked after (configuration section <c>Retention</c>).</summary>
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

    /// <summary>How often a silo makes the coming weeks' partitions and drops expired ones (default hourly).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);
}
