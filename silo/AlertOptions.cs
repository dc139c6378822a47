using System.ComponentModel.DataAnnotations;

namespace Telemetry.Silo;

/// <summary>How a silo delivers alert webhooks (configuration section <c>Alerts</c>; the targets' policy is <c>AlertTargetOptions</c>).</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>Longest wait for deliveries queued on another silo, or due for a retry (default 1 s); this silo's own go at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the silo wakes the alerts grains of tenants with rules (default 30 s), so that a restart leaves none asleep.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WakeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts of a delivery before it is given up and recorded as failed (default 8).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Wait after the first failed attempt (default 1 s); it doubles each time, with jitter, up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between two attempts (default 10 min), also for a receiver's longer <c>Retry-After</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest wait for a receiver's answer (default 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Days a delivery's record is kept after it ended, for <c>GET /v1/alerts/{id}/events</c> (default 30).</summary>
    [Range(1, 3650)]
    public int KeepDeliveriesDays { get; set; } = 30;

    /// <summary>Deliveries one silo sends at once (default 32).</summary>
    [Range(1, 1000)]
    public int DeliveriesAtOnce { get; set; } = 32;
}
