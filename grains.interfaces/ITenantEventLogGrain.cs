using Orleans.Concurrency;

namespace Telemetry.Grains;

/// <summary>
/// A tenant's event log: the one writer of the tenant's events. It commits them to PostgreSQL in
/// group commits, then hands them, in sequence order, to the tenant's and users' metrics grains.
/// Key: the tenant id.
/// </summary>
public interface ITenantEventLogGrain : IGrainWithStringKey
{
    /// <summary>Stores the events durably (duplicates of stored ids once) and answers one outcome per event, in order.</summary>
    /// <exception cref="StorageUnavailableException">Nothing of this call was stored; it may be retried.</exception>
    Task<AppendOutcome[]> AppendAsync(EventRecord[] events);

    /// <summary>
    /// Activates the log if it is not, which counts and hands on what an earlier activation committed and
    /// did not (a silo died meanwhile); the metrics grains call it so that they never wait for the next append.
    /// </summary>
    [OneWay]
    Task WakeAsync();
}
