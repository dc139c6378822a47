namespace Telemetry.Grains;

/// <summary>A grain that counts a tenant's log in order: events at or below its applied sequence number are skipped.</summary>
public interface IEventCounter
{
    /// <summary>Counts the events it has not counted yet. <paramref name="events"/> is in sequence order.</summary>
    Task ApplyAsync(CountedEvent[] events);
}

/// <summary>A tenant's live metrics, in memory. Key: the tenant id.</summary>
public interface ITenantMetricsGrain : IGrainWithStringKey, IEventCounter
{
    Task<MetricsOverview> GetOverviewAsync(MetricsWindow window);

    Task<MetricsCategories> GetCategoriesAsync(MetricsWindow window);

    /// <exception cref="ArgumentException">The bucket is not available for the window.</exception>
    Task<MetricsTimeseries> GetTimeseriesAsync(MetricsWindow window, SeriesBucket bucket, string? type);

    /// <summary>The categories of the last <paramref name="days"/> days (1 to 90) in hour buckets, for older APIs that count in days.</summary>
    Task<MetricsCategories> GetCategoriesOverDaysAsync(int days);

    /// <summary>The 24h overview and categories, as pushed to observers.</summary>
    Task<LiveMetrics> GetLiveAsync();

    /// <summary>
    /// Pushes <see cref="LiveMetrics"/> to the observer when they change, at most once a second. A subscription
    /// lapses unless renewed within <see cref="LiveMetricsPublisher.SubscriptionLifetime"/>.
    /// </summary>
    Task SubscribeAsync(ILiveMetricsObserver observer);

    Task UnsubscribeAsync(ILiveMetricsObserver observer);

    /// <summary>How many observers are subscribed (for operators and tests).</summary>
    Task<int> CountSubscribersAsync();

    /// <summary>
    /// The totals the tenant's alert rules read. Asking also watches the metrics for <see cref="AlertReading.WatchLifetime"/>:
    /// meanwhile each round of counted events tells the tenant's <see cref="ITenantAlertsGrain"/>.
    /// </summary>
    Task<AlertReading> ReadForAlertsAsync(AlertInput[] inputs);

    /// <summary>Takes out of memory what one chunk of an erasure took out of the rollups, once (see <see cref="MetricsRetraction"/>).</summary>
    Task RetractAsync(MetricsRetraction retraction);

    /// <summary>Loads the metrics again from the rollups, as on activation: what an erasure ends with.</summary>
    Task ReloadAsync();
}

/// <summary>One user's live metrics, in memory. Key: <see cref="UserKey.Format"/> of tenant and user.</summary>
public interface IUserMetricsGrain : IGrainWithStringKey, IEventCounter
{
    Task<UserMetrics> GetAsync(MetricsWindow window);

    /// <summary>
    /// Forgets the user's metrics and stored snapshot and counts again what the log still holds of the user: what an
    /// erasure of the user ends with. Nothing left, nothing stored.
    /// </summary>
    Task RecountAsync();
}

/// <summary>The key of a user's grain: the tenant id (which has no '/') and the user id.</summary>
public static class UserKey
{
    public static string Format(string tenantId, string userId) => string.Concat(tenantId, "/", userId);

    public static (string TenantId, string UserId) Parse(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash <= 0 ? throw new ArgumentException($"Not a user key: {key}", nameof(key)) : (key[..slash], key[(slash + 1)..]);
    }
}
