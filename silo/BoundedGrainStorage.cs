using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Telemetry.Silo;

/// <summary>
/// Grain storage that lets at most <see cref="GrainStorageOptions.MaxConcurrentOperations"/> reads and writes of
/// grain state reach PostgreSQL at once in this silo; the others wait their turn in a queue, for as long as it
/// takes. Without it, every activation reads its state at once when thousands activate together (a dead silo's
/// users coming back elsewhere), and those past the pool's size time out waiting for a connection.
/// </summary>
public sealed class BoundedGrainStorage(IGrainStorage inner, IOptions<GrainStorageOptions> options) : IGrainStorage, IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentOperations, options.Value.MaxConcurrentOperations);
    private int _inFlight;
    private int _peakInFlight;
    private int _waiting;
    private int _peakWaiting;

    /// <summary>Most operations that ran at once since the silo started.</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    /// <summary>Most operations that waited for a turn at once since the silo started.</summary>
    public int PeakWaiting => Volatile.Read(ref _peakWaiting);

    /// <summary>Operations waiting for a turn now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        InTurnAsync(() => inner.ReadStateAsync(stateName, grainId, grainState));

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        InTurnAsync(() => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        InTurnAsync(() => inner.ClearStateAsync(stateName, grainId, grainState));

    private async Task InTurnAsync(Func<Task> operation)
    {
        Raise(ref _peakWaiting, Interlocked.Increment(ref _waiting));
        try
        {
            await _slots.WaitAsync();
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        Raise(ref _peakInFlight, Interlocked.Increment(ref _inFlight));
        try
        {
            await operation();
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();

    private static void Raise(ref int peak, int value)
    {
        var seen = Volatile.Read(ref peak);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref peak, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}
