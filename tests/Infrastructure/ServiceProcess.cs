namespace Telemetry.Tests.Infrastructure;

/// <summary>A silo or gateway started as its own process through <c>./telemetry</c>, its output kept for failures.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly ChildProcess _child;

    private ServiceProcess(ChildProcess child, IReadOnlyDictionary<string, string?> settings)
    {
        _child = child;
        Settings = settings;
    }

    /// <summary>The process's settings, including the free ports chosen for those the caller left out.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>A port setting of the process, such as <c>TELEMETRY_SILO_HTTP_PORT</c>.</summary>
    public int Port(string key) => int.Parse(Settings[key]!, CultureInfo.InvariantCulture);

    public string Name => _child.Name;

    public int Id => _child.Id;

    public bool HasExited => _child.HasExited;

    public string Output => _child.Output;

    /// <inheritdoc cref="ChildProcess.PoolExhaustions"/>
    public int PoolExhaustions => _child.PoolExhaustions;

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

        var start = new ProcessStartInfo(Path.Combine(RepositoryRoot, "telemetry"), command) { WorkingDirectory = RepositoryRoot };
        start.Environment["TELEMETRY_SKIP_BUILD"] = "1";
        start.Environment["TELEMETRY_CONFIGURATION"] = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // Plain-text logs keep a failing test's output readable.
        start.Environment["Observability__JsonLogs"] = "false";
        foreach (var (key, value) in settings) start.Environment[key] = value;
        return new ServiceProcess(ChildProcess.Start(name, start, terminateOnDispose: false), settings);
    }

    /// <inheritdoc cref="ChildProcess.TerminateAsync"/>
    public Task<int?> TerminateAsync(TimeSpan timeout) => _child.TerminateAsync(timeout);

    /// <inheritdoc cref="ChildProcess.KillAsync"/>
    public Task KillAsync() => _child.KillAsync();

    public ValueTask DisposeAsync() => _child.DisposeAsync();

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
