using Grpc.Core;
using Grpc.Net.Client;
using Telemetry.Gateway.Compat.Grpc;

namespace Telemetry.Bench;

/// <summary>The event collector's load: learner events over POST /collect and over its gRPC stream.</summary>
public static class LearnerEvents
{
    private static readonly string[] Types =
        ["lesson_started", "lesson_completed", "lesson_paused", "lesson_resumed", "assessment_started", "assessment_completed", "assessment_submitted", "progress_updated"];

    public static string Collect(int worker, int n, int size)
    {
        var builder = new StringBuilder("{\"events\":[");
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        for (var i = 0; i < size; i++)
        {
            if (i > 0) builder.Append(',');
            builder.Append(CultureInfo.InvariantCulture, $"{{\"learner_id\":\"learner-{(worker * 131 + n * 7 + i) % 5000}\",\"course_id\":\"course-{i % 20}\",\"lesson_id\":\"lesson-{i % 50}\",\"event_type\":\"{Types[(n + i) % Types.Length]}\",\"event_data\":{{\"score\":{i}}},\"timestamp\":\"{now}\",\"session_id\":\"s-{worker}\"}}");
        }
        return builder.Append("]}").ToString();
    }

    /// <summary>What the streams measured: acknowledged events a second, and the wait from sending a group's last event to its acknowledgement.</summary>
    public sealed record StreamResult(double EventsPerSecond, double P50, double P99);

    /// <summary>
    /// Streams events as fast as the server acknowledges them, keeping at most a few thousand
    /// unacknowledged on each stream, and counts acknowledged events during the measured span.
    /// </summary>
    public static async Task<StreamResult> StreamAsync(Uri target, string key, int streams, TimeSpan warmup, TimeSpan duration)
    {
        using var channel = GrpcChannel.ForAddress(target);
        var client = new EventCollectorService.EventCollectorServiceClient(channel);
        var auth = new Metadata { { "authorization", $"Bearer {key}" } };
        var measuring = false;
        var stop = false;
        long acknowledged = 0;
        var latencies = new List<double>[streams];

        var tasks = Enumerable.Range(0, streams).Select(async s =>
        {
            var mine = latencies[s] = [];
            using var call = client.StreamEvents(auth);
            using var window = new SemaphoreSlim(4000);
            var sentAt = new System.Collections.Concurrent.ConcurrentQueue<long>();
            var reading = Task.Run(async () =>
            {
                await foreach (var ack in call.ResponseStream.ReadAllAsync())
                {
                    var count = ack.Accepted + ack.Rejected;
                    long last = 0;
                    for (var i = 0; i < count; i++) sentAt.TryDequeue(out last);
                    if (Volatile.Read(ref measuring))
                    {
                        Interlocked.Add(ref acknowledged, ack.Accepted);
                        mine.Add(Stopwatch.GetElapsedTime(last).TotalMilliseconds);
                    }
                    window.Release(count);
                }
            });
            var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            for (var n = 0; !Volatile.Read(ref stop); n++)
            {
                await window.WaitAsync();
                sentAt.Enqueue(Stopwatch.GetTimestamp());
                await call.RequestStream.WriteAsync(new Event
                {
                    LearnerId = $"learner-{(s * 977 + n) % 5000}",
                    CourseId = "course-1",
                    LessonId = $"lesson-{n % 50}",
                    EventType = Types[n % Types.Length],
                    EventData = { ["step"] = "1" },
                    Timestamp = now,
                    SessionId = $"s-{s}",
                });
            }
            await call.RequestStream.CompleteAsync();
            await reading;
        }).ToArray();

        await Task.Delay(warmup);
        Volatile.Write(ref measuring, true);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        Volatile.Write(ref measuring, false);
        var elapsed = clock.Elapsed;
        var counted = Interlocked.Read(ref acknowledged);
        Volatile.Write(ref stop, true);
        await Task.WhenAll(tasks);
        var sorted = latencies.SelectMany(l => l).Order().ToArray();
        double At(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new StreamResult(counted / elapsed.TotalSeconds, At(50), At(99));
    }
}
