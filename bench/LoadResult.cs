namespace Telemetry.Bench;

/// <summary>
/// What one load measured, whichever generator made it: requests answered well, the items they
/// carried (events, rows), failures, the measured span and the latency percentiles of the answered ones.
/// </summary>
public sealed record LoadResult(long Requests, long Items, long Failures, TimeSpan Elapsed, double P50Ms, double P99Ms)
{
    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;

    public double ItemsPerSecond => Items / Elapsed.TotalSeconds;

    /// <summary>A result from each answered request's latency (in any order).</summary>
    public static LoadResult FromLatencies(long requests, long items, long failures, TimeSpan elapsed, IEnumerable<double> latenciesMs)
    {
        var sorted = latenciesMs.Order().ToArray();
        return new LoadResult(requests, items, failures, elapsed, Percentile(sorted, 50), Percentile(sorted, 99));
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
