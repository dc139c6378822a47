using System.Diagnostics;
using System.Net;
using System.Text;

namespace Telemetry.Bench;

/// <summary>
/// Drives the gateway's ingest endpoints with a fixed number of concurrent connections, each sending
/// its next request as soon as the previous one is answered, and measures what it was answered.
/// </summary>
public sealed class IngestLoad(Uri gateway, string key, int connections, int eventsPerRequest)
{
    /// <summary>What a run measured: requests and events acknowledged, failures, and request latencies.</summary>
    public sealed record Result(long Requests, long Events, long Failures, TimeSpan Elapsed, double[] LatenciesMs)
    {
        public double EventsPerSecond => Events / Elapsed.TotalSeconds;

        public double Percentile(double p)
        {
            if (LatenciesMs.Length == 0) return double.NaN;
            var sorted = LatenciesMs.Order().ToArray();
            return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
        }
    }

    public async Task<Result> RunAsync(TimeSpan warmup, TimeSpan duration)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        var path = new Uri(eventsPerRequest == 1 ? "v1/events" : "v1/events/batch", UriKind.Relative);

        var measuring = false;
        var stop = false;
        long requests = 0, events = 0, failures = 0;
        var latencies = new List<double>[connections];
        var workers = Enumerable.Range(0, connections).Select(async c =>
        {
            var mine = latencies[c] = new List<double>(100_000);
            var n = 0;
            while (!Volatile.Read(ref stop))
            {
                var body = Body(c, n++);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
                    var ok = response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK;
                    if (!Volatile.Read(ref measuring)) continue;
                    if (ok)
                    {
                        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        Interlocked.Increment(ref requests);
                        Interlocked.Add(ref events, eventsPerRequest);
                    }
                    else
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (HttpRequestException)
                {
                    if (Volatile.Read(ref measuring)) Interlocked.Increment(ref failures);
                }
            }
        }).ToArray();

        await Task.Delay(warmup);
        Volatile.Write(ref measuring, true);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        Volatile.Write(ref measuring, false);
        var elapsed = clock.Elapsed;
        var counted = (Interlocked.Read(ref requests), Interlocked.Read(ref events), Interlocked.Read(ref failures));
        Volatile.Write(ref stop, true);
        await Task.WhenAll(workers);
        return new Result(counted.Item1, counted.Item2, counted.Item3, elapsed, [.. latencies.SelectMany(l => l)]);
    }

    private string Body(int connection, int n)
    {
        if (eventsPerRequest == 1) return Event(connection, n, 0);
        var builder = new StringBuilder("{\"events\":[");
        for (var i = 0; i < eventsPerRequest; i++)
        {
            if (i > 0) builder.Append(',');
            builder.Append(Event(connection, n, i));
        }
        return builder.Append("]}").ToString();
    }

    private static string Event(int connection, int n, int i) =>
        $$$"""{"id":"{{{Guid.NewGuid()}}}","type":"bench_{{{i % 8}}}","status":"{{{((n + i) % 10 == 0 ? "failure" : "success")}}}","user_id":"user-{{{(connection * 7919 + n * 31 + i) % 5000}}}","session_id":"s-{{{connection}}}","duration_ms":{{{(n + i) % 500}}},"properties":{"connection":{{{connection}}},"n":{{{n}}}}}""";
}
