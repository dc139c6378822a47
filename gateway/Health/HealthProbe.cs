using Npgsql;
using Orleans.Runtime;

namespace Telemetry.Gateway.Health;

/// <summary>
/// Whether PostgreSQL and the Orleans cluster answer, checked at most once a second however often
/// probes ask, each check bounded by a short timeout. A failed check says which, in a fixed phrase:
/// probes need no key, so the exception (addresses, driver and cluster messages) goes to the log only.
/// </summary>
public sealed partial class HealthProbe(NpgsqlDataSource database, IClusterClient cluster, TimeProvider clock, ILogger<HealthProbe> logger) : IDisposable
{
    public const string DatabaseDown = "PostgreSQL does not answer";
    public const string ClusterDown = "the cluster does not answer";
    public const string NoActiveSilo = "no active silo";

    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset At, Dictionary<string, string> Checks)? _last;

    /// <summary>Each check's result: "ok", or why it failed.</summary>
    public async Task<IReadOnlyDictionary<string, string>> CheckAsync(CancellationToken cancellationToken)
    {
        if (_last is { } fresh && clock.GetUtcNow() - fresh.At < CacheFor) return fresh.Checks;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } again && clock.GetUtcNow() - again.At < CacheFor) return again.Checks;
            var databaseCheck = CheckDatabaseAsync();
            var clusterCheck = CheckClusterAsync();
            var checks = new Dictionary<string, string>
            {
                ["database"] = await databaseCheck,
                ["cluster"] = await clusterCheck,
            };
            _last = (clock.GetUtcNow(), checks);
            return checks;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<string> CheckDatabaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(CheckTimeout);
            await using var command = database.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return "ok";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCheckFailed("database", ex);
            return DatabaseDown;
        }
    }

    private async Task<string> CheckClusterAsync()
    {
        try
        {
            var hosts = await cluster.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(CheckTimeout);
            return hosts.Count > 0 ? "ok" : NoActiveSilo;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCheckFailed("cluster", ex);
            return ClusterDown;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check {Check} failed")]
    private partial void LogCheckFailed(string check, Exception exception);
}
