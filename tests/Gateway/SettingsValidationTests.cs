using Microsoft.Extensions.Options;

namespace Telemetry.Tests.Gateway;

/// <summary>Every options class of the gateway is checked when it starts: a setting out of its range stops the start, named.</summary>
public sealed class SettingsValidationTests
{
    [Theory]
    [InlineData("Ingest:MaxBatchEvents", "0")]
    [InlineData("Ingest:AppendCallsInFlight", "-1")]
    [InlineData("RateLimit:LeaseFraction", "1.5")]
    [InlineData("Auth:CacheSize", "0")]
    [InlineData("ConcurrencyLimit:ExportsPerTenant", "0")]
    [InlineData("Stream:HeartbeatInterval", "00:00:00")]
    [InlineData("Metrics:PushedCopyMaxAge", "-00:00:01")]
    public async Task A_setting_out_of_its_range_stops_the_gateway_at_start_with_its_name(string setting, string value)
    {
        var closedPort = LoopbackPort.Free();
        var failure = await Record.ExceptionAsync(async () =>
        {
            await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
            {
                [DatabaseOptions.ConfigurationKey] = $"Host=127.0.0.1;Port={closedPort};Username=postgres;Timeout=2",
                ["TELEMETRY_CLUSTER_ID"] = "nobody-" + Guid.NewGuid().ToString("N"),
                [setting] = value,
            });
        });
        // Options that read others (the rate limit's burst reads the largest batch) fail with them: all are named.
        var invalid = (failure is AggregateException many ? many.Flatten().InnerExceptions : [failure]).OfType<OptionsValidationException>().ToList();
        Assert.NotEmpty(invalid);
        Assert.All(invalid, e => Assert.Contains(setting[(setting.IndexOf(':', StringComparison.Ordinal) + 1)..], e.Message, StringComparison.Ordinal));
    }
}
