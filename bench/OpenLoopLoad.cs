using System.Threading.Channels;

namespace Telemetry.Bench;

/// <summary>
/// Requests at a fixed rate whatever the answers do (an open loop), each timed from when it was due
/// rather than from when it went out. A closed loop, wrk's included, stops sending while the server
/// stalls and so never times the requests that clients would have sent meanwhile (coordinated
/// omission); here a stall holds up the requests due behind it, and their wait counts.
/// </summary>
public static class OpenLoopLoad
{
    /// <summary>
    /// Issues request number 0, 1, ... of <paramref name="request"/> (→ items carried, or 0 for a failure)
    /// at <paramref name="rate"/> a second for a warm-up and then for <paramref name="duration"/>, with at
    /// most <paramref name="maxOutstanding"/> unanswered: past that, due requests wait for a free slot,
    /// their latency still counted from when they were due. Measures the requests due within
    /// <paramref name="duration"/>, each to its answer, however late; <paramref name="measuringStarted"/>
    /// and <paramref name="measuringEnded"/> run at that span's edges.
    /// </summary>
    public static async Task<LoadResult> RunAsync(double rate, int maxOutstanding, TimeSpan warmup, TimeSpan duration, Func<long, Task<int>> request,
        Action? measuringStarted = null, Action? measuringEnded = null)
    {
        var firstMeasured = (long)(warmup.TotalSeconds * rate);
        var total = firstMeasured + (long)(duration.TotalSeconds * rate);
        var latencies = new double[total - firstMeasured];
        long requests = 0, items = 0, failures = 0;
        var start = Stopwatch.GetTimestamp();
        long DueAt(long i) => start + (long)(i * Stopwatch.Frequency / rate);

        var due = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleWriter = true });
        var senders = Enumerable.Range(0, maxOutstanding).Select(async _ =>
        {
            while (true)
            {
                // ReadAsync hands each request to one idle sender; ReadAllAsync (WaitToReadAsync) would
                // wake every idle sender for each request, hundreds of wake-ups that cost more than the requests.
                long i;
                try
                {
                    i = await due.Reader.ReadAsync();
                }
                catch (ChannelClosedException)
                {
                    return;
                }
                int carried;
                try
                {
                    carried = await request(i);
                }
                catch (HttpRequestException)
                {
                    carried = 0;
                }
                catch (TaskCanceledException)
                {
                    carried = 0;
                }
                if (i < firstMeasured) continue;
                if (carried > 0)
                {
                    latencies[i - firstMeasured] = Stopwatch.GetElapsedTime(DueAt(i)).TotalMilliseconds;
                    Interlocked.Increment(ref requests);
                    Interlocked.Add(ref items, carried);
                }
                else
                {
                    latencies[i - firstMeasured] = double.NaN;
                    Interlocked.Increment(ref failures);
                }
            }
        }).ToArray();

        // The schedule runs on a thread of its own so that a busy thread pool cannot delay it. It sleeps
        // until the next request is due (a millisecond at least: a few requests at a time at thousands a
        // second) and issues whatever fell due; its lateness in waking is in the latencies, which only
        // makes them a little worse. The samplers' hooks run elsewhere: reading /proc must not hold it up.
        Task? started = null;
        var schedule = Task.Factory.StartNew(() =>
        {
            for (long i = 0; i <= total;)
            {
                var now = Stopwatch.GetTimestamp();
                for (; i < total && DueAt(i) <= now; i++)
                {
                    if (i == firstMeasured && measuringStarted is not null) started = Task.Run(measuringStarted);
                    due.Writer.TryWrite(i);
                }
                // Past the last request, wait for the moment the next would have been due: the span's end.
                if (i == total && DueAt(total) <= now) break;
                Thread.Sleep(Math.Max(1, (int)Stopwatch.GetElapsedTime(now, DueAt(i)).TotalMilliseconds));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await schedule;
        if (started is not null) await started;
        measuringEnded?.Invoke();
        due.Writer.Complete();
        await Task.WhenAll(senders);
        return LoadResult.FromLatencies(requests, items, failures, duration, latencies.Where(l => !double.IsNaN(l)));
    }
}
