namespace Telemetry.Grains;

/// <summary>The terms of a live metrics subscription, shared by the grain that keeps it and the gateways that renew it.</summary>
public static class LiveMetricsPublisher
{
    /// <summary>A subscription not renewed for this long is dropped (a gateway that died stops being pushed to).</summary>
    public static readonly TimeSpan SubscriptionLifetime = TimeSpan.FromSeconds(60);

    /// <summary>How often a gateway with listeners renews its subscription; also how late a reactivated grain learns of it.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(10);

    /// <summary>Least time between two pushes of one tenant's metrics.</summary>
    public static readonly TimeSpan PushEvery = TimeSpan.FromSeconds(1);
}
