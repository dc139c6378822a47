namespace Telemetry.Bench;

/// <summary>
/// The silo's group commits over one load, from its Prometheus counters read before and after: how
/// many events a commit carried and how long its statement took. A tenant's log commits one group at
/// a time, so its ceiling is the mean batch over the mean commit time: the figure that says whether
/// ingest waits on PostgreSQL or on everything around it.
/// </summary>
public sealed class CommitProfile(HttpClient client, Uri silo)
{
    private const string BatchSize = "telemetry_log_batch_size";
    private const string CommitDuration = "telemetry_log_commit_duration_milliseconds";

    private PrometheusScrape? _before;
    private readonly System.Diagnostics.Stopwatch _clock = new();

    public async Task StartAsync()
    {
        _before = await PrometheusScrape.GetAsync(client, silo);
        _clock.Restart();
    }

    /// <summary>Describes the commits since <see cref="StartAsync"/>.</summary>
    public async Task<string> DescribeAsync()
    {
        var elapsed = _clock.Elapsed;
        var after = await PrometheusScrape.GetAsync(client, silo);
        double Delta(string name) => (after.Sum(name) ?? 0) - (_before?.Sum(name) ?? 0);
        var commits = Delta(BatchSize + "_count");
        if (commits == 0) return "no group commit seen";
        var meanBatch = Delta(BatchSize + "_sum") / commits;
        var meanCommit = Delta(CommitDuration + "_sum") / Delta(CommitDuration + "_count");
        var busy = Delta(CommitDuration + "_sum") / elapsed.TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"{commits / elapsed.TotalSeconds:N0} group commits/s of {meanBatch:F1} events, {meanCommit:F2} ms each (the log's statement in flight {busy:P0} of the time)");
    }
}
