// Shared with bench/ (linked there), which has not the tests' project-wide imports: its own stay here.
using System.Diagnostics;
using System.Text;

namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// A program run as a child process by the tests or the bench: its output kept (the last megabyte)
/// for failures, Npgsql's pool exhaustions counted as they are logged, and the ways to end it an
/// orchestrator has (SIGTERM, SIGKILL).
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptOutputChars = 1024 * 1024;
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _terminateOnDispose;
    private int _poolExhaustions;

    private ChildProcess(Process process, string name, bool terminateOnDispose)
    {
        _process = process;
        Name = name;
        _terminateOnDispose = terminateOnDispose;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Lines that said Npgsql's pool was exhausted (a request waited past its timeout for a connection).</summary>
    public int PoolExhaustions => Volatile.Read(ref _poolExhaustions);

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>
    /// Starts <paramref name="start"/> with its output redirected. Disposing it asks it to stop (SIGTERM,
    /// 30 s) when <paramref name="terminateOnDispose"/>, or kills it at once, as a test's clean-up may.
    /// </summary>
    public static ChildProcess Start(string name, ProcessStartInfo start, bool terminateOnDispose)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = new Process { StartInfo = start };
        var child = new ChildProcess(process, name, terminateOnDispose);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Asks the process to stop as an orchestrator would (SIGTERM) and waits for it; answers its exit
    /// code, or null when it had not stopped within <paramref name="timeout"/> and was killed.
    /// </summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", $"-TERM {_process.Id}")) await term!.WaitForExitAsync();
            using var wait = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                await KillAsync();
                return null;
            }
        }
        return _process.ExitCode;
    }

    /// <summary>Ends the process at once, as a crash or an out-of-memory kill would (SIGKILL).</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_terminateOnDispose) await TerminateAsync(TimeSpan.FromSeconds(30));
        else await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        if (line.Contains("connection pool has been exhausted", StringComparison.Ordinal)) Interlocked.Increment(ref _poolExhaustions);
        lock (_output)
        {
            // A long run's logs are not needed whole: keep the tail.
            if (_output.Length > KeptOutputChars) _output.Remove(0, KeptOutputChars / 2);
            _output.AppendLine(line);
        }
    }
}
