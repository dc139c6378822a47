namespace Telemetry.Tests.Infrastructure;

/// <summary>A silo or gateway started as its own process through <c>./telemetry</c>, its output kept for failures.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, string name, IReadOnlyDictionary<string, string?> settings)
    {
        _process = process;
        Name = name;
        Settings = settings;
    }

    /// <summary>The process's settings, including the free ports chosen for those the caller left out.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>A port setting of the process, such as <c>TELEMETRY_SILO_HTTP_PORT</c>.</summary>
    public int Port(string key) => int.Parse(Settings[key]!, System.Globalization.CultureInfo.InvariantCulture);

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>The repository root, where <c>./telemetry</c> is.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>
    /// Runs <c>./telemetry &lt;command&gt;</c> with the built binaries of this test run's configuration;
    /// the side ports (a silo's HTTP port, a gateway's gRPC and metrics ports) default to free ones.
    /// </summary>
    public static ServiceProcess Start(string command, string name, IReadOnlyDictionary<string, string?> environment)
    {
        var settings = new Dictionary<string, string?>(environment);
        string[] sidePorts = command == "silo" ? ["TELEMETRY_SILO_HTTP_PORT"] : ["TELEMETRY_GRPC_PORT", "TELEMETRY_METRICS_PORT"];
        foreach (var key in sidePorts) settings.TryAdd(key, LoopbackPort.FreeSetting());

        var start = new ProcessStartInfo(Path.Combine(RepositoryRoot, "telemetry"), command)
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["TELEMETRY_SKIP_BUILD"] = "1";
        start.Environment["TELEMETRY_CONFIGURATION"] = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // Plain-text logs keep a failing test's output readable.
        start.Environment["Observability__JsonLogs"] = "false";
        foreach (var (key, value) in settings) start.Environment[key] = value;

        var process = new Process { StartInfo = start };
        var service = new ServiceProcess(process, name, settings);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>
    /// Asks the process to stop as an orchestrator would (SIGTERM) and waits for it; answers its exit
    /// code, or null when it had not stopped within <paramref name="timeout"/> and was killed.
    /// </summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", $"-TERM {_process.Id}")) await kill!.WaitForExitAsync();
            using var wait = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
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
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("TELEMETRY_REPO_ROOT") is { Length: > 0 } configured) return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Telemetry.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (Telemetry.sln) above " + AppContext.BaseDirectory);
    }
}
