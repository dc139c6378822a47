using System.Text.RegularExpressions;

namespace Telemetry.Bench;

/// <summary>
/// Single events sent by wrk (Debian's package, written in C): the same closed loop over a fixed number
/// of connections as <see cref="ClosedLoopLoad"/>, at a fraction of HttpClient's CPU, which matters when
/// the generator shares the measured machine's two cores. bench/wrk-single-event.lua makes each body
/// and counts the 201 answers, the only ones that are events stored.
/// </summary>
public sealed partial class WrkLoad
{
    private readonly string _program;
    private readonly string _script;

    private WrkLoad(string program, string script, string version)
    {
        _program = program;
        _script = script;
        Version = version;
    }

    /// <summary>wrk's own name for itself, e.g. "wrk 4.1.0".</summary>
    public string Version { get; }

    /// <summary>wrk from PATH, or null when it is not there or BENCH_GENERATOR asks for the .NET generator.</summary>
    public static async Task<WrkLoad?> FindAsync(string root)
    {
        if (Environment.GetEnvironmentVariable("BENCH_GENERATOR") is { Length: > 0 } generator && generator != "wrk") return null;
        var program = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "wrk"))
            .FirstOrDefault(File.Exists);
        if (program is null) return null;
        // `wrk -v` prints "wrk 4.1.0 [epoll] Copyright ..." and its usage, and exits 1.
        var (_, output) = await RunAsync(program, ["-v"]);
        var version = output.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var name, var number, ..] ? $"{name} {number}" : "wrk";
        return new WrkLoad(program, Path.Combine(root, "bench", "wrk-single-event.lua"), version);
    }

    /// <summary>
    /// A warm-up run whose figures are dropped, then the measured run over <paramref name="connections"/>
    /// connections, with <paramref name="measuringStarted"/> and <paramref name="measuringEnded"/>
    /// around it alone. The measured run has exited (and been reaped) when
    /// <paramref name="measuringEnded"/> runs, so its CPU is in the bench's cutime by then.
    /// </summary>
    public async Task<LoadResult> RunAsync(Uri target, string key, int connections, TimeSpan warmup, TimeSpan duration, Action? measuringStarted = null, Action? measuringEnded = null)
    {
        await RunOnceAsync(target, key, connections, warmup);
        measuringStarted?.Invoke();
        var result = await RunOnceAsync(target, key, connections, duration);
        measuringEnded?.Invoke();
        return result;
    }

    private async Task<LoadResult> RunOnceAsync(Uri target, string key, int connections, TimeSpan duration)
    {
        var threads = Math.Min(Environment.ProcessorCount, connections);
        var seconds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
        var nonce = Random.Shared.Next(); // below 2^31: one run's ids cannot repeat another's
        string[] arguments =
        [
            "-t", Number(threads), "-c", Number(connections), "-d", Number(seconds) + "s", "--timeout", "30s",
            "-s", _script, target.ToString(), "--", key, Number(connections), Number(nonce),
        ];
        var (exitCode, output) = await RunAsync(_program, arguments);
        var match = ResultLine().Match(output);
        if (exitCode != 0 || !match.Success) throw new InvalidOperationException($"wrk failed (exit {exitCode}):\n{output}");
        long Field(string name) => long.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture);
        var created = Field("created");
        var failures = Field("other") + Field("connect") + Field("read") + Field("write") + Field("timeout");
        return new LoadResult(created, created, failures, TimeSpan.FromMicroseconds(Field("duration")), Field("p50") / 1000.0, Field("p99") / 1000.0);
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"wrk-result created=(?<created>\d+) other=(?<other>\d+) connect=(?<connect>\d+) read=(?<read>\d+) write=(?<write>\d+) timeout=(?<timeout>\d+) duration_us=(?<duration>\d+) p50_us=(?<p50>\d+) p99_us=(?<p99>\d+)")]
    private static partial Regex ResultLine();
}
