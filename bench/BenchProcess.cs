using System.Diagnostics;
using System.Text;

namespace Telemetry.Bench;

/// <summary>A silo, gateway or HTTP floor started as its own process for the benchmark, its output kept for failures.</summary>
public sealed class BenchProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BenchProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Lines that said Npgsql's pool was exhausted (a request waited past its timeout for a connection).</summary>
    public int PoolExhaustions => Volatile.Read(ref _poolExhaustions);

    private int _poolExhaustions;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static BenchProcess Start(string name, string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment) =>
        StartProgram(name, "dotnet", [dll, .. arguments], environment);

    /// <summary>Any program, such as the Node.js peer.</summary>
    public static BenchProcess StartProgram(string name, string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = new Process { StartInfo = start };
        var started = new BenchProcess(process, name);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", $"-TERM {_process.Id}")) await term!.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        if (line.Contains("connection pool has been exhausted", StringComparison.Ordinal)) Interlocked.Increment(ref _poolExhaustions);
        lock (_output)
        {
            // Keep the tail only: a long run's logs are not needed whole.
            if (_output.Length > 64 * 1024) _output.Remove(0, 32 * 1024);
            _output.AppendLine(line);
        }
    }
}
