namespace Telemetry.Tests.Deploy;

/// <summary>
/// Every options class of silo and gateway is checked when the process starts: a setting out of its range, given as
/// an operator gives it (an environment variable), stops the start with the setting's name.
/// </summary>
public sealed class SettingsValidationTests
{
    [Theory]
    [InlineData("gateway", "Ingest__MaxBatchEvents", "0")]
    [InlineData("gateway", "Ingest__AppendCallsInFlight", "-1")]
    [InlineData("gateway", "RateLimit__LeaseFraction", "1.5")]
    [InlineData("gateway", "Auth__CacheSize", "0")]
    [InlineData("gateway", "ConcurrencyLimit__ExportsPerTenant", "0")]
    [InlineData("gateway", "Stream__HeartbeatInterval", "00:00:00")]
    [InlineData("gateway", "Metrics__PushedCopyMaxAge", "-00:00:01")]
    [InlineData("silo", "EventLog__CommitsInFlight", "0")]
    [InlineData("silo", "UserLogReads__MaxConcurrentReads", "0")]
    [InlineData("silo", "GrainStorage__MaxConcurrentOperations", "0")]
    [InlineData("silo", "Retention__MaintenanceInterval", "00:00:00")]
    [InlineData("silo", "Observability__TraceSampleRatio", "2")]
    public async Task A_setting_out_of_its_range_stops_the_process_at_start_with_its_name(string command, string setting, string value)
    {
        await using var process = ServiceProcess.Start(command, command + "-misconfigured", new Dictionary<string, string?>
        {
            [DatabaseOptions.ConfigurationKey] = (await SharedPostgres.GetAsync()).ConnectionString,
            ["TELEMETRY_CLUSTER_ID"] = "misconfigured-" + Guid.NewGuid().ToString("N"),
            ["TELEMETRY_HTTP_PORT"] = LoopbackPort.FreeSetting(),
            ["TELEMETRY_SILO_PORT"] = LoopbackPort.FreeSetting(),
            ["TELEMETRY_CLIENT_PORT"] = LoopbackPort.FreeSetting(),
            [setting] = value,
        });
        // The output is read as it comes: the process may have exited a moment before its last lines are in.
        await Eventually.HoldsAsync(() => Task.FromResult(process.Output.Contains("OptionsValidationException", StringComparison.Ordinal) ? null
            : process.HasExited ? $"the {command} exited without naming an invalid setting (yet):\n{process.Output}" : $"the {command} still runs"), TimeSpan.FromSeconds(60));
        Assert.True(process.HasExited || await WaitExitAsync(process), $"the {command} did not stop");
        Assert.Contains(setting[(setting.LastIndexOf('_') + 1)..], process.Output, StringComparison.Ordinal);
    }

    private static async Task<bool> WaitExitAsync(ServiceProcess process)
    {
        for (var i = 0; i < 100 && !process.HasExited; i++) await Task.Delay(100);
        return process.HasExited;
    }
}
