namespace Telemetry.Bench;

/// <summary>
/// The per-request-INSERT peer of issue 14, measured in the same run as the platform: bench/peer, a
/// Fastify and node-postgres app with a worker per core, inserting each event on its own into a table of
/// the same PostgreSQL with three indexes (its key, type and time, user and time).
/// </summary>
public static class PeerApp
{
    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS peer_events (
            id          uuid PRIMARY KEY,
            type        text NOT NULL,
            status      text,
            user_id     text,
            session_id  text,
            duration_ms double precision,
            properties  jsonb NOT NULL DEFAULT '{}',
            received_at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX IF NOT EXISTS peer_events_type_time ON peer_events (type, received_at);
        CREATE INDEX IF NOT EXISTS peer_events_user_time ON peer_events (user_id, received_at);
        """;

    /// <summary>Starts the peer on <paramref name="port"/> after installing its packages from the lock file when missing; null when Node.js is not there.</summary>
    public static async Task<ChildProcess?> StartAsync(string root, NpgsqlDataSource database, string connectionString, int port)
    {
        var folder = Path.Combine(root, "bench", "peer");
        if (!Directory.Exists(Path.Combine(folder, "node_modules")) && !await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder)) return null;
        await using (var create = database.CreateCommand(CreateTableSql)) await create.ExecuteNonQueryAsync();

        var c = new NpgsqlConnectionStringBuilder(connectionString);
        var url = $"postgresql://{Uri.EscapeDataString(c.Username ?? "postgres")}{(c.Password is { Length: > 0 } p ? ":" + Uri.EscapeDataString(p) : "")}@{c.Host}:{c.Port}/{Uri.EscapeDataString(c.Database ?? "postgres")}";
        return BenchProcess.StartProgram("peer", "node", [Path.Combine(folder, "server.js")], new Dictionary<string, string?>
        {
            ["PEER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["PEER_DB"] = url,
            ["PEER_WORKERS"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
        });
    }

    private static async Task<bool> RunAsync(string program, string[] arguments, string folder)
    {
        try
        {
            var start = new ProcessStartInfo(program) { WorkingDirectory = folder, UseShellExecute = false };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            await process.WaitForExitAsync();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no npm on this machine
        }
    }
}
