using System.ComponentModel.DataAnnotations;

namespace Telemetry.Gateway.Alerts;

/// <summary>Bounds on a tenant's alert rules (configuration section <c>Alerts</c>, beside the targets' policy).</summary>
public sealed class AlertRulesOptions
{
    public const string Section = "Alerts";

    /// <summary>Most rules a tenant may have (default 1,000): each is evaluated four times a second while events flow.</summary>
    [Range(1, 100_000)]
    public int MaxRulesPerTenant { get; set; } = 1000;
}
