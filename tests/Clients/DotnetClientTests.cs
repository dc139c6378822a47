using Npgsql;
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Telemetry.Client;
using Telemetry.Client.Logging;
using EventStatus = Telemetry.Client.EventStatus;

namespace Telemetry.Tests.Clients;

/// <summary>The .NET client (<c>clients/dotnet</c>) against real gateways: exactly once through a restart and a rate limit, per-event refusals, a bounded queue.</summary>
public sealed partial class DotnetClientTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Lesson {LessonId} opened by {User}")]
    private static partial void LessonOpened(ILogger logger, int lessonId, string user);

    [LoggerMessage(Level = LogLevel.Debug, Message = "below the least level: not sent")]
    private static partial void Detail(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Quiz {QuizId} failed")]
    private static partial void QuizFailed(ILogger logger, Exception ex, string quizId);

    /// <summary>Watches what the client's requests got: status codes, and connections that failed.</summary>
    internal sealed class ObservedHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public ConcurrentDictionary<int, int> Statuses { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                Statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                return response;
            }
            catch (HttpRequestException)
            {
                Statuses.AddOrUpdate(0, 1, (_, n) => n + 1);
                throw;
            }
        }
    }

    internal static TelemetryEvent Event(int n, string type = "lesson") => new()
    {
        Type = type,
        UserId = $"u{n % 7}",
        Status = n % 3 == 0 ? EventStatus.Failure : EventStatus.Success,
        DurationMs = n % 100,
        Properties = new JsonObject { ["n"] = n },
    };

    internal static async Task<HashSet<Guid>> StoredIdsAsync(NpgsqlDataSource database, string tenantId)
    {
        await using var command = database.CreateCommand("SELECT event_id FROM events WHERE tenant_id = @t");
        command.Parameters.AddWithValue("t", tenantId);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<Guid>();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return ids;
    }

    [Fact]
    public async Task Refused_events_are_reported_alone_and_a_full_queue_drops_its_oldest()
    {
        var (tenantId, key, _) = await NewTenantAsync("dotnet-client");
        var rejections = new ConcurrentBag<TelemetryRejection>();
        // Nothing goes before the flush: the queue of ten must drop the five oldest of fifteen.
        await using var client = new TelemetryClient(new TelemetryClientOptions
        {
            Endpoint = Cluster.Gateways[0].BaseAddress, ApiKey = key, FlushAt = 1000, FlushInterval = TimeSpan.FromHours(1), MaxQueueSize = 10,
            OnRejected = rejections.Add,
        });
        var events = Enumerable.Range(0, 15).Select(n => Event(n, n == 12 ? "bad\0type" : "lesson")).ToList();
        foreach (var e in events) Assert.True(client.Enqueue(e));
        Assert.Equal((5, 10), (client.Stats.Dropped, client.Stats.Queued));

        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        // Flushed means answered: stored already, no waiting.
        var stored = await StoredIdsAsync(Cluster.Database, tenantId);
        Assert.Equal(events.Skip(5).Where((_, i) => i != 7).Select(e => e.Id).ToHashSet(), stored);
        var rejection = Assert.Single(rejections);
        Assert.Equal(events[12].Id, rejection.Event.Id);
        Assert.Contains(rejection.Errors, e => e.Field == "type");
        Assert.Equal((9, 1, 0), (client.Stats.Delivered, client.Stats.Rejected, client.Stats.Failed));
    }

    [Fact]
    public async Task An_apps_log_entries_become_events_with_their_fields_and_scopes()
    {
        var (tenantId, key, _) = await NewTenantAsync("dotnet-logs");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddTelemetryClient(o =>
        {
            o.Endpoint = Cluster.Gateways[0].BaseAddress;
            o.ApiKey = key;
            o.FlushInterval = TimeSpan.FromMilliseconds(200);
        });
        builder.Logging.AddTelemetry(o => o.Environment = "test");
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var logger = host.Services.GetRequiredService<ILogger<DotnetClientTests>>();
            using (logger.BeginScope(new Dictionary<string, object?> { ["RequestPath"] = "/lessons/42" }))
            {
                LessonOpened(logger, 42, "ada");
            }
            Detail(logger);
            QuizFailed(logger, new InvalidOperationException("the quiz had no questions"), "q-7");
            // Refused, the client logs a warning of its own: that entry must not become an event (it would feed on itself).
            var client = host.Services.GetRequiredService<TelemetryClient>();
            client.Enqueue(new TelemetryEvent { Type = "bad\0type" });
            await client.FlushAsync();
            Assert.Equal(1, client.Stats.Rejected);
            await host.StopAsync(); // delivers what is queued
        }

        await using var command = Cluster.Database.CreateCommand("""
            SELECT status, environment, properties FROM events
            WHERE tenant_id = @t AND type = 'log' AND properties ->> 'category' = @category ORDER BY occurred_at
            """);
        command.Parameters.AddWithValue("t", tenantId);
        command.Parameters.AddWithValue("category", typeof(DotnetClientTests).FullName!);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string? Status, string? Environment, JsonElement Properties)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), JsonDocument.Parse(reader.GetString(2)).RootElement));
        }
        // The host's own entries (started, stopping) went too; the client's never do.
        Assert.Equal(2, rows.Count);
        Assert.Equal(0, await new SqlTruth(Cluster.Database).CountAsync(
            "SELECT count(*) FROM events WHERE tenant_id = @t AND properties ->> 'category' LIKE 'Telemetry.Client%'", ("t", tenantId)));
        Assert.True(await new SqlTruth(Cluster.Database).CountAsync(
            "SELECT count(*) FROM events WHERE tenant_id = @t AND properties ->> 'category' = 'Microsoft.Hosting.Lifetime'", ("t", tenantId)) > 0);
        var (status, environment, info) = rows[0];
        Assert.Equal((null, "test"), (status, environment));
        Assert.Equal(("Lesson 42 opened by ada", 42, "ada"), (info.GetProperty("message").GetString(), info.GetProperty("LessonId").GetInt32(), info.GetProperty("User").GetString()));
        Assert.Equal(("Information", typeof(DotnetClientTests).FullName), (info.GetProperty("level").GetString(), info.GetProperty("category").GetString()));
        Assert.Equal("/lessons/42", info.GetProperty("scopes")[0].GetProperty("RequestPath").GetString());
        var error = rows[1];
        Assert.Equal("failure", error.Status);
        Assert.Contains("the quiz had no questions", error.Properties.GetProperty("exception").GetString(), StringComparison.Ordinal);
        Assert.Equal("q-7", error.Properties.GetProperty("QuizId").GetString());
    }
}

/// <summary>The .NET client through a gateway killed and restarted with a rate limit that the client's pace passes.</summary>
public sealed class DotnetClientRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_event_is_delivered_exactly_once_through_a_gateway_restart_and_a_rate_limit()
    {
        await using var cluster = new ProcessCluster(await SharedPostgres.GetAsync(), "dotnet-client", output);
        await cluster.StartSilosAsync(1);
        var (gateway, address) = await cluster.StartGatewayAsync("gateway-0");
        var tenant = (await new ApiKeyStore(cluster.Database).CreateTenantAsync("dotnet-" + Guid.NewGuid().ToString("N")[..10]))!;
        var observed = new DotnetClientTests.ObservedHandler();
        var failures = new ConcurrentBag<TelemetryDeliveryFailure>();
        await using var client = new TelemetryClient(new TelemetryClientOptions
        {
            Endpoint = address, ApiKey = tenant.Key, FlushAt = 50, FlushInterval = TimeSpan.FromMilliseconds(200), MaxQueueSize = 100_000,
            MaxBatchSize = 200, MaxRetries = 100, RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(2),
            Handler = observed, OnFailed = failures.Add,
        });

        // 6,000 events at about 750 a second, while the gateway goes away and comes back at 400 a second for the tenant.
        var sent = new List<Guid>();
        var producing = Task.Run(async () =>
        {
            for (var n = 0; n < 6_000; n++)
            {
                var e = DotnetClientTests.Event(n);
                sent.Add(e.Id);
                client.Enqueue(e);
                if (n % 75 == 74) await Task.Delay(100);
            }
        });
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await gateway.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await cluster.StartGatewayAsync("gateway-0-limited", address.Port, new Dictionary<string, string?>
        {
            ["RateLimit__EventsPerSecond"] = "400", ["RateLimit__Burst"] = "1000",
        });
        await producing;
        await client.FlushAsync().WaitAsync(TimeSpan.FromMinutes(2));

        var stats = client.Stats;
        output.WriteLine($"{stats}; answers: {string.Join(", ", observed.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        Assert.Empty(failures);
        Assert.Equal((6_000, 0, 0, 0), (stats.Delivered, stats.Failed, stats.Dropped, stats.Rejected));
        Assert.True(observed.Statuses.GetValueOrDefault(0) > 0, "no request met the gateway gone");
        Assert.True(observed.Statuses.GetValueOrDefault(429) > 0, "the tenant was never rate-limited");
        var stored = await DotnetClientTests.StoredIdsAsync(cluster.Database, tenant.TenantId);
        Assert.Equal(sent.ToHashSet(), stored);
    }
}
