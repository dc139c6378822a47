namespace Telemetry.Grains;

/// <summary>Tells this silo's webhook dispatcher that deliveries were queued, so that they go out now rather than at its next poll.</summary>
public sealed class AlertDeliverySignal : IDisposable
{
    private readonly SemaphoreSlim _queued = new(0, 1);

    public void Queued()
    {
        try
        {
            _queued.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the dispatcher's next pass takes every due delivery.
        }
    }

    /// <summary>Waits for a signal or <paramref name="timeout"/>, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _queued.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _queued.Dispose();
}
