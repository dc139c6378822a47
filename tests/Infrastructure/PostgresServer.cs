// Shared with bench/ (linked there), which has not the tests' project-wide imports: its own stay here.
using System.Diagnostics;
using Npgsql;
using Telemetry.Storage;

namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL of the tests and the benchmark: <c>TELEMETRY_DB</c> when set, otherwise a
/// throwaway server from the machine's PostgreSQL binaries (initdb, pg_ctl) on a free port in a
/// temporary folder, run as the <c>postgres</c> user when running as root. The schema is applied
/// either way. Tests run it without fsync; the benchmark durable, as production.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string? _dataDirectory;
    private readonly string? _binDirectory;
    private readonly bool _durable;

    private PostgresServer(string connectionString, string? dataDirectory, string? binDirectory, int port, bool durable)
    {
        ConnectionString = connectionString;
        _dataDirectory = dataDirectory;
        _binDirectory = binDirectory;
        Port = port;
        _durable = durable;
    }

    public string ConnectionString { get; }

    public int Port { get; }

    /// <summary>Whether this object started the server (and so may stop and start it).</summary>
    public bool IsOwned => _dataDirectory is not null;

    /// <summary>The data directory of an owned server (null for <c>TELEMETRY_DB</c>).</summary>
    public string? DataDirectory => _dataDirectory;

    /// <summary>
    /// Starts (or, with <c>TELEMETRY_DB</c> set, connects to) a server and applies the schema;
    /// <paramref name="owned"/> always starts a throwaway one, for a test that stops and starts it.
    /// </summary>
    public static async Task<PostgresServer> StartAsync(bool durable = false, bool owned = false)
    {
        var configured = owned ? null : Environment.GetEnvironmentVariable(DatabaseOptions.ConfigurationKey);
        PostgresServer server;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            server = new PostgresServer(configured, null, null, new NpgsqlConnectionStringBuilder(configured).Port, durable);
        }
        else
        {
            var bin = FindBinDirectory();
            var data = Directory.CreateTempSubdirectory("telemetry-pg-").FullName;
            var port = LoopbackPort.Free();
            if (IsRoot) await RunAsync("chown", $"postgres:postgres {data}");
            await RunPostgresToolAsync(bin, "initdb", $"-D {data} -A trust -U postgres -E UTF8 --no-sync");
            server = new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50", data, bin, port, durable);
            await server.StartServerAsync();
        }

        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        await new SchemaMigrator(dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<SchemaMigrator>.Instance).MigrateAsync();
        return server;
    }

    /// <summary>Starts the owned server again after <see cref="StopServerAsync"/>.</summary>
    public Task StartServerAsync() => RunPostgresToolAsync(_binDirectory!, "pg_ctl",
        $"-D {_dataDirectory} -w -t 60 -l {_dataDirectory}/server.log -o \"-p {Port} -c listen_addresses=127.0.0.1 -k {_dataDirectory} -c max_connections=300 -c shared_buffers=512MB {(_durable ? "-c fsync=on -c synchronous_commit=on -c max_wal_size=4GB" : "-c fsync=off")}\" start");

    /// <summary>Stops the owned server at once, as a crash would.</summary>
    public Task StopServerAsync() => RunPostgresToolAsync(_binDirectory!, "pg_ctl", $"-D {_dataDirectory} -w -m immediate stop");

    public async ValueTask DisposeAsync()
    {
        if (_dataDirectory is null) return;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await StopServerAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        Directory.Delete(_dataDirectory, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static string FindBinDirectory()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            : Enumerable.Empty<string>();
        foreach (var dir in candidates.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
        }
        throw new InvalidOperationException("No PostgreSQL binaries (initdb, pg_ctl) found: install Debian's postgresql package, or set TELEMETRY_DB.");
    }


    private static Task RunPostgresToolAsync(string bin, string tool, string arguments) => IsRoot
        ? RunAsync("runuser", $"-u postgres -- {Path.Combine(bin, tool)} {arguments}")
        : RunAsync(Path.Combine(bin, tool), arguments);

    private static async Task RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }
    }
}
