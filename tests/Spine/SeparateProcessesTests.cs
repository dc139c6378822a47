using System.Net;
using System.Text.Json;
using Npgsql;
using Telemetry.Storage;
using Telemetry.Tests.Gateway;
using Telemetry.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Telemetry.Tests.Spine;

/// <summary>
/// Two silos and two gateways as separate processes started with <c>./telemetry silo</c> and
/// <c>./telemetry gateway</c> on the contract's ports (the second of each on the next port): one cluster.
/// </summary>
public sealed class SeparateProcessesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_event_posted_to_one_gateway_shows_in_the_metrics_read_from_the_other()
    {
        var postgres = await SharedPostgres.GetAsync();
        var cluster = "proc-" + Guid.NewGuid().ToString("N")[..12];
        Dictionary<string, string?> Settings(int offset) => new()
        {
            [DatabaseOptions.ConfigurationKey] = postgres.ConnectionString,
            ["TELEMETRY_CLUSTER_ID"] = cluster,
            ["TELEMETRY_SERVICE_ID"] = cluster,
            ["TELEMETRY_ADVERTISED_IP"] = "127.0.0.1",
            ["TELEMETRY_SILO_PORT"] = (11111 + offset).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TELEMETRY_CLIENT_PORT"] = (30000 + offset).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TELEMETRY_HTTP_PORT"] = (8080 + offset).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TELEMETRY_GRPC_PORT"] = (50051 + offset).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        var processes = new List<ServiceProcess>();
        try
        {
            processes.Add(ServiceProcess.Start("silo", "silo-0", Settings(0)));
            processes.Add(ServiceProcess.Start("silo", "silo-1", Settings(1)));
            processes.Add(ServiceProcess.Start("gateway", "gateway-0", Settings(0)));
            processes.Add(ServiceProcess.Start("gateway", "gateway-1", Settings(1)));

            await using var database = NpgsqlDataSource.Create(postgres.ConnectionString);
            await Eventually.HoldsAsync(async () =>
            {
                var dead = processes.FirstOrDefault(p => p.HasExited);
                if (dead is not null) return $"{dead.Name} exited:\n{dead.Output}";
                var active = await new SqlTruth(database).CountAsync(
                    "SELECT count(*) FROM orleans_membership WHERE deployment_id = @c AND status = 3", ("c", cluster));
                return active == 2 ? null : $"{active} active silos";
            }, TimeSpan.FromSeconds(90));

            using var first = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:8080/") };
            using var second = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:8081/") };
            foreach (var gateway in new[] { first, second })
            {
                await Eventually.HoldsAsync(async () =>
                {
                    try
                    {
                        using var ready = await gateway.GetAsync(new Uri("health/ready", UriKind.Relative));
                        return ready.StatusCode == HttpStatusCode.OK ? null : $"{gateway.BaseAddress} answers {(int)ready.StatusCode}";
                    }
                    catch (HttpRequestException ex)
                    {
                        return $"{gateway.BaseAddress}: {ex.Message}";
                    }
                }, TimeSpan.FromSeconds(90));
            }

            var created = await new ApiKeyStore(database).CreateTenantAsync("proc-" + Guid.NewGuid().ToString("N")[..10]);
            first.DefaultRequestHeaders.Authorization = new("Bearer", created!.Key);
            second.DefaultRequestHeaders.Authorization = new("Bearer", created.Key);
            using (var posted = await first.PostAsync(new Uri("v1/events", UriKind.Relative),
                IngestValidationTests.Json("""{"type": "crossed", "status": "success", "user_id": "walker", "duration_ms": 42}""")))
            {
                Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            }

            await Eventually.HoldsAsync(async () =>
            {
                using var overview = JsonDocument.Parse(await second.GetStringAsync(new Uri("v1/metrics/overview?window=15m", UriKind.Relative)));
                using var user = await second.GetAsync(new Uri("v1/users/walker/metrics?window=15m", UriKind.Relative));
                return overview.RootElement.GetProperty("total").GetInt64() == 1 && overview.RootElement.GetProperty("avg_duration_ms").GetDouble() == 42
                    && user.StatusCode == HttpStatusCode.OK
                    ? null : $"overview {overview.RootElement}, user {(int)user.StatusCode}";
            });

            foreach (var process in processes) await process.TerminateAsync(TimeSpan.FromSeconds(30));
            Assert.All(processes, p => Assert.True(p.HasExited, p.Name));
        }
        finally
        {
            foreach (var process in processes)
            {
                output.WriteLine($"--- {process.Name}\n{process.Output}");
                await process.DisposeAsync();
            }
        }
    }
}
