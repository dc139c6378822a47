namespace Telemetry.Bench;

/// <summary>
/// A fixed number of workers, each sending its next request as soon as the previous one is
/// answered; counts and times only what was answered well during the measured span.
/// </summary>
public static class ClosedLoopLoad
{
    /// <summary>
    /// Runs <paramref name="workers"/> loops of <paramref name="request"/> (worker index, request number → items
    /// carried, or 0 for a failure) for a warm-up, then measures for <paramref name="duration"/>;
    /// <paramref name="measuringStarted"/> and <paramref name="measuringEnded"/> run at the measured
    /// span's edges, for samplers that must see that span only (not the warm-up).
    /// </summary>
    public static async Task<LoadResult> RunAsync(int workers, TimeSpan warmup, TimeSpan duration, Func<int, int, Task<int>> request,
        Action? measuringStarted = null, Action? measuringEnded = null)
    {
        var measuring = false;
        var stop = false;
        long requests = 0, items = 0, failures = 0;
        var latencies = new List<double>[workers];
        var tasks = Enumerable.Range(0, workers).Select(async w =>
        {
            await Task.Yield();
            var mine = latencies[w] = new List<double>(200_000);
            for (var n = 0; !Volatile.Read(ref stop); n++)
            {
                var started = Stopwatch.GetTimestamp();
                int carried;
                try
                {
                    carried = await request(w, n);
                }
                catch (HttpRequestException)
                {
                    carried = 0;
                }
                catch (TaskCanceledException)
                {
                    carried = 0;
                }
                if (!Volatile.Read(ref measuring)) continue;
                if (carried > 0)
                {
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref requests);
                    Interlocked.Add(ref items, carried);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }).ToArray();

        await Task.Delay(warmup);
        measuringStarted?.Invoke();
        Volatile.Write(ref measuring, true);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        Volatile.Write(ref measuring, false);
        var elapsed = clock.Elapsed;
        measuringEnded?.Invoke();
        var counted = (Interlocked.Read(ref requests), Interlocked.Read(ref items), Interlocked.Read(ref failures));
        Volatile.Write(ref stop, true);
        await Task.WhenAll(tasks);
        // Latencies recorded after the measured span ended belong to no figure.
        return LoadResult.FromLatencies(counted.Item1, counted.Item2, counted.Item3, elapsed, latencies.SelectMany(l => l).Take((int)counted.Item1));
    }
}
