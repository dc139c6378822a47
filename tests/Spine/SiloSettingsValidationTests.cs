namespace Telemetry.Tests.Spine;

/// <summary>Every options class of the silo is checked when it starts: a setting out of its range stops the start, named.</summary>
public sealed class SiloSettingsValidationTests
{
    [Theory]
    [InlineData("EventLog__CommitsInFlight", "0")]
    [InlineData("UserLogReads__MaxConcurrentReads", "0")]
    [InlineData("GrainStorage__MaxConcurrentOperations", "0")]
    [InlineData("Retention__MaintenanceInterval", "00:00:00")]
    [InlineData("Observability__TraceSampleRatio", "2")]
    public async Task A_setting_out_of_its_range_stops_the_silo_at_start_with_its_name(string setting, string value)
    {
        var postgres = await SharedPostgres.GetAsync();
        await using var silo = ServiceProcess.Start("silo", "silo-misconfigured", new Dictionary<string, string?>
        {
            [DatabaseOptions.ConfigurationKey] = postgres.ConnectionString,
            ["TELEMETRY_CLUSTER_ID"] = "misconfigured-" + Guid.NewGuid().ToString("N"),
            ["TELEMETRY_SILO_PORT"] = LoopbackPort.FreeSetting(),
            ["TELEMETRY_CLIENT_PORT"] = LoopbackPort.FreeSetting(),
            [setting] = value,
        });
        await Eventually.HoldsAsync(() => Task.FromResult(silo.HasExited ? null : "the silo still runs"), TimeSpan.FromSeconds(60));
        var name = setting[(setting.LastIndexOf('_') + 1)..];
        Assert.Contains("OptionsValidationException", silo.Output, StringComparison.Ordinal);
        Assert.Contains(name, silo.Output, StringComparison.Ordinal);
    }
}
