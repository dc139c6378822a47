using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Telemetry.Tests.Security;

/// <summary>
/// Health answers need no key, so they name the check that failed and nothing more: the exception
/// text (addresses, ports, driver messages) goes to the logs only, on the gateway and on the silo.
/// </summary>
public sealed class HealthDetailsTests(ITestOutputHelper output)
{
    private static readonly string[] Probes = ["health", "health/ready", "healthz/ready", "api/health/database", "ready"];

    [Fact]
    public async Task A_gateway_without_its_backends_names_the_failed_checks_without_their_error_text()
    {
        var closedPort = LoopbackPort.Free();
        var logs = new CapturingLoggerProvider();
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            [DatabaseOptions.ConfigurationKey] = $"Host=127.0.0.1;Port={closedPort};Username=postgres;Timeout=2",
            ["TELEMETRY_CLUSTER_ID"] = "nobody-" + Guid.NewGuid().ToString("N"),
        }, waitUntilReady: false, services => services.AddSingleton<ILoggerProvider>(logs));
        using var client = gateway.CreateClient();

        foreach (var path in Probes)
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{path}: {(int)response.StatusCode} {body}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            AssertNoErrorText(body, closedPort);
        }

        using (var health = JsonDocument.Parse(await client.GetStringAsync(new Uri("health/live", UriKind.Relative))))
        {
            Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        }
        using (var response = await client.GetAsync(new Uri("health", UriKind.Relative)))
        using (var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
        {
            var failed = health.RootElement.GetProperty("failed").EnumerateArray().Select(f => f.GetString()).ToList();
            Assert.Contains("database", failed);
            Assert.Contains("cluster", failed);
        }
        // The operator still learns why, from the logs.
        Assert.Contains("Health check database failed", logs.Text, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{closedPort}", logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_whose_postgres_stopped_names_the_failed_check_without_its_error_text()
    {
        await using var postgres = await PostgresServer.StartAsync(owned: true);
        await using var cluster = new ProcessCluster(postgres, "health", output);
        var silo = await cluster.StartSiloAsync("silo-0");
        using var client = new HttpClient { BaseAddress = ProcessCluster.SiloAddress(silo), Timeout = TimeSpan.FromSeconds(30) };

        await postgres.StopServerAsync();
        using var response = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine($"silo health/ready: {(int)response.StatusCode} {body}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        AssertNoErrorText(body, postgres.Port);
        using var health = JsonDocument.Parse(body);
        Assert.NotEqual("ok", health.RootElement.GetProperty("database").GetString());
        await Eventually.HoldsAsync(() => Task.FromResult(silo.Output.Contains("Health check database failed", StringComparison.Ordinal) ? null : "the silo logged nothing of the failed check"));
    }

    /// <summary>What Npgsql, sockets and Orleans put in their messages: the server's address, "Exception", "connect".</summary>
    private static void AssertNoErrorText(string body, int port)
    {
        Assert.DoesNotContain(":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), body, StringComparison.Ordinal);
        foreach (var text in new[] { "127.0.0.1", "Exception", "exception", "connect to", "refused", "Orleans", "Npgsql", "   at " })
        {
            Assert.DoesNotContain(text, body, StringComparison.Ordinal);
        }
    }
}
