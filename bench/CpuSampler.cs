namespace Telemetry.Bench;

/// <summary>
/// CPU time of the benchmark's processes and the machine's busy share over one measured span, read
/// from /proc at its start and at its end: the figure that says where an ingested event's time goes.
/// </summary>
/// <remarks>
/// Two reads a span, not a timer: utime and stime are cumulative counters, so the difference of two
/// reads is exact (to a clock tick) and sampling costs the measured machine nothing in between.
/// </remarks>
public sealed class CpuSampler
{
    /// <summary>Which of a process's counters hold the CPU it spent on a figure.</summary>
    public enum Scope
    {
        /// <summary>Its own threads (utime + stime): the silo, the gateway, the floor.</summary>
        Own,

        /// <summary>
        /// Its own threads and its children that ended and were reaped (cutime + cstime): the bench,
        /// whose wrk runs as a child that has exited, and been waited for, by the end of the span. Its
        /// live children (the silo, the gateway) are counted on their own, so they are left out here.
        /// </summary>
        OwnAndReaped,

        /// <summary>
        /// Itself, its reaped children and its live children: PostgreSQL (the postmaster and its
        /// backends) and the Node.js peer (the cluster's primary and its workers). A backend that exits
        /// during the span still counts: its time moves into the postmaster's cutime when it is reaped.
        /// </summary>
        Tree,
    }

    /// <summary>A process to account for, under the name the report gives it.</summary>
    public sealed record Tracked(string Name, int Pid, Scope Scope);

    // A process using less than this share of one core over the span is idle for the figure: it is
    // folded into "rest of the machine" rather than listed.
    private const double ListedCoreShare = 0.01;

    private static readonly Lazy<double> TicksPerSecond = new(ReadTicksPerSecond);

    private readonly IReadOnlyList<Tracked> _processes;
    private readonly Stopwatch _clock = new();
    private Snapshot? _start;
    private Snapshot? _end;

    public CpuSampler(IReadOnlyList<Tracked> processes)
    {
        _processes = processes;
    }

    /// <summary>Takes the first read; call it when the measured span starts.</summary>
    public void Start()
    {
        _start = Take();
        _end = null;
        _clock.Restart();
    }

    /// <summary>Takes the second read; call it when the measured span ends.</summary>
    public void Stop()
    {
        _clock.Stop();
        _end = Take();
    }

    /// <summary>
    /// One line of the report: each busy process's CPU per event in µs, the rest of the machine's, and
    /// the machine's busy share over the span, e.g. "single-event ingest, CPU per event: gateway 210 µs, ...".
    /// </summary>
    public string Describe(string figure, long events)
    {
        if (_start is null || _end is null) return $"{figure}, CPU per event: not sampled";
        if (events <= 0) return $"{figure}, CPU per event: no events counted";
        var ticks = TicksPerSecond.Value;
        var span = _clock.Elapsed.TotalSeconds;
        var parts = new List<string>();
        double listedSeconds = 0;
        foreach (var process in _processes)
        {
            if (!_start.Processes.TryGetValue(process.Name, out var before) || !_end.Processes.TryGetValue(process.Name, out var after)) continue;
            var seconds = (after - before) / ticks;
            if (seconds < ListedCoreShare * span) continue;
            listedSeconds += seconds;
            parts.Add(Invariant($"{process.Name} {seconds / events * 1e6:N0} µs"));
        }
        var machineTotal = _end.MachineTotal - _start.MachineTotal;
        var machineBusy = machineTotal - (_end.MachineIdle - _start.MachineIdle);
        var busySeconds = machineBusy / ticks;
        parts.Add(Invariant($"rest of the machine {Math.Max(0, busySeconds - listedSeconds) / events * 1e6:N0} µs"));
        var share = machineTotal > 0 ? (double)machineBusy / machineTotal : double.NaN;
        return Invariant($"{figure}, CPU per event: {string.Join(", ", parts)}; machine busy {share * 100:F0} % of {Environment.ProcessorCount} cores ({busySeconds / events * 1e6:N0} µs an event in all)");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Clock ticks (of all the counters read) per process, and the machine's total and idle ticks.</summary>
    private sealed record Snapshot(Dictionary<string, long> Processes, long MachineTotal, long MachineIdle);

    private Snapshot Take()
    {
        Dictionary<int, Stat>? all = null;
        var processes = new Dictionary<string, long>();
        foreach (var process in _processes)
        {
            var own = ReadStat(process.Pid);
            if (own is null) continue; // gone: the figure says nothing of it
            var ticks = own.UTime + own.STime;
            if (process.Scope is Scope.OwnAndReaped or Scope.Tree) ticks += own.CUTime + own.CSTime;
            if (process.Scope is Scope.Tree)
            {
                // Read every process once a snapshot, then pick each tree's children from that.
                all ??= ReadAllStats();
                foreach (var child in all.Values)
                {
                    if (child.ParentPid == process.Pid) ticks += child.UTime + child.STime;
                }
            }
            processes[process.Name] = ticks;
        }
        var (total, idle) = ReadMachine();
        return new Snapshot(processes, total, idle);
    }

    private sealed record Stat(int ParentPid, long UTime, long STime, long CUTime, long CSTime);

    /// <summary>utime, stime, cutime, cstime (fields 14 to 17) of /proc/&lt;pid&gt;/stat; null when the process is gone.</summary>
    private static Stat? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces and ')': read after the last ')'.
        // What follows starts at field 3 (state), so field N is at index N - 3.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
        return new Stat((int)Field(1), Field(11), Field(12), Field(13), Field(14));
    }

    /// <summary>Every live process's counters, by pid.</summary>
    private static Dictionary<int, Stat> ReadAllStats()
    {
        var all = new Dictionary<int, Stat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            // A process may exit between the listing and the read: it is then counted through its
            // parent's cutime once reaped (or, reaped in between, not at all: a tick or two at most).
            if (ReadStat(pid) is { } stat) all[pid] = stat;
        }
        return all;
    }

    /// <summary>The first line of /proc/stat: all ticks of all cores, and those spent idle or waiting on I/O.</summary>
    private static (long Total, long Idle) ReadMachine()
    {
        // cpu  user nice system idle iowait irq softirq steal guest guest_nice: guest time is already
        // in user and nice, so the total is the first eight.
        var line = File.ReadLines("/proc/stat").First();
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        return (fields.Sum(), fields[3] + fields[4]);
    }

    /// <summary>USER_HZ, the unit of /proc's CPU counters: 100 on Linux's usual builds, asked of getconf once.</summary>
    private static double ReadTicksPerSecond()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false });
            if (getconf is not null)
            {
                var text = getconf.StandardOutput.ReadToEnd().Trim();
                getconf.WaitForExit();
                if (double.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) && ticks > 0) return ticks;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No getconf: the usual value.
        }
        return 100;
    }
}
