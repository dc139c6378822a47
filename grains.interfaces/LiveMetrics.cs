using Orleans.Concurrency;

namespace Telemetry.Grains;

/// <summary>What a live dashboard shows of a tenant: the 24h overview and categories.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.live-metrics")]
public sealed record LiveMetrics(
    [property: Id(0)] string TenantId,
    [property: Id(1)] MetricsOverview Overview,
    [property: Id(2)] CategoryTotals[] Categories);

/// <summary>A gateway with live listeners of a tenant: its tenant grain pushes changes here, at most once a second.</summary>
public interface ILiveMetricsObserver : IGrainObserver
{
    [OneWay]
    Task OnMetricsAsync(LiveMetrics metrics);
}
