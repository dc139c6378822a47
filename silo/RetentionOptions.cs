using Microsoft.Extensions.Configuration;

namespace Telemetry.Silo;

/// <summary>How long raw events are kept, and how often partitions are looked after.</summary>
public sealed class RetentionOptions
{
    /// <summary>
    /// Days of raw events to keep, by time of receipt (<c>TELEMETRY_RETENTION_DAYS</c>); unset or 0 keeps
    /// them forever. Whole weeks are dropped, so events are kept at least this long and at most a week longer.
    /// </summary>
    public int? RetentionDays { get; set; }

    /// <summary>How often a silo makes the coming weeks' partitions and drops expired ones (default hourly).</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);

    public static void Bind(RetentionOptions options, IConfiguration configuration)
    {
        var days = configuration.GetValue<int?>("TELEMETRY_RETENTION_DAYS");
        options.RetentionDays = days is > 0 ? days : null;
        options.MaintenanceInterval = configuration.GetValue("Retention:MaintenanceInterval", TimeSpan.FromHours(1));
    }
}
