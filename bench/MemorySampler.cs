namespace Telemetry.Bench;

/// <summary>
/// Samples the memory of the benchmark's processes every 250 ms and keeps each one's peak over a
/// scenario: the resident set of our processes; for PostgreSQL, the private memory of all its
/// processes plus its shared memory counted once. Only /proc/*/status and stat are read: cheap
/// files, so that sampling does not load the machine it measures.
/// </summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly Dictionary<string, Func<long>> _readers;
    private readonly Dictionary<string, long> _peaks = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    public MemorySampler(IReadOnlyDictionary<string, int> processes, int? postgresPostmaster)
    {
        _readers = processes.ToDictionary(p => p.Key, p => (Func<long>)(() => Read(p.Value, "/status", "VmRSS:")));
        if (postgresPostmaster is { } postmaster) _readers["postgres"] = () => PostgresPss(postmaster);
        _sampling = SampleAsync();
    }

    /// <summary>Each process's peak, in MiB.</summary>
    public IReadOnlyDictionary<string, double> PeaksMiB
    {
        get
        {
            lock (_peaks) return _peaks.ToDictionary(p => p.Key, p => p.Value / 1024.0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            do
            {
                foreach (var (name, read) in _readers)
                {
                    var kib = read();
                    lock (_peaks) _peaks[name] = Math.Max(_peaks.GetValueOrDefault(name), kib);
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException)
        {
            // Done.
        }
    }

    /// <summary>A kB figure from a /proc file of a process; 0 when the process is gone.</summary>
    private static long Read(int pid, string file, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}{file}"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }

    private static long PostgresPss(int postmaster)
    {
        long privateKiB = Read(postmaster, "/status", "RssAnon:");
        var sharedKiB = Read(postmaster, "/status", "RssShmem:");
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                // Field 4 of /proc/<pid>/stat is the parent; the command name may hold spaces, so read after ')'.
                var stat = File.ReadAllText($"{dir}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) != postmaster) continue;
                privateKiB += Read(pid, "/status", "RssAnon:");
                sharedKiB = Math.Max(sharedKiB, Read(pid, "/status", "RssShmem:"));
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return privateKiB + sharedKiB;
    }
}
