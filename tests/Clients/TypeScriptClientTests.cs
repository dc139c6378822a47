using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Playwright;
using Telemetry.Tests.Dashboard;

namespace Telemetry.Tests.Clients;

/// <summary>The TypeScript SDK (<c>clients/typescript</c>), built with npm once a run; run in Node.js and in Chromium against real gateways.</summary>
internal static class TypeScriptPackage
{
    public static string Root { get; } = Path.Combine(ServiceProcess.RepositoryRoot, "clients", "typescript");

    private static readonly Lazy<Task> Built = new(async () =>
    {
        await RunAsync("npm", "ci --no-audit --no-fund");
        await RunAsync("npm", "run build");
        // Its own unit tests (ids, retry delays) first: the delivery tests below rest on them.
        await RunAsync("npm", "test");
    });

    public static Task BuildAsync() => Built.Value;

    /// <summary>Runs a command in the package's folder; throws with its output when it fails. Answers its standard output.</summary>
    public static async Task<string> RunAsync(string command, string arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? within = null)
    {
        var start = new ProcessStartInfo(command, arguments) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{command} {arguments} exited with {process.ExitCode}:\n{await output}\n{await errors}");
        return await output;
    }

    /// <summary>Runs <c>test/deliver.mjs</c> against a gateway and answers the JSON line it printed.</summary>
    public static async Task<JsonElement> DeliverAsync(Uri gateway, string key, string scenario, int count = 0)
    {
        var output = await RunAsync("node", "test/deliver.mjs", new Dictionary<string, string>
        {
            ["TELEMETRY_URL"] = gateway.ToString(), ["TELEMETRY_KEY"] = key, ["SCENARIO"] = scenario,
            ["COUNT"] = count.ToString(CultureInfo.InvariantCulture),
        }, TimeSpan.FromMinutes(3));
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
    }

    public static HashSet<Guid> Ids(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetGuid())];
}

/// <summary>The SDK in Node.js and in a browser page, on the suite's shared cluster.</summary>
public sealed class TypeScriptClientTests(ClusterFixture fixture, BrowserFixture browser) : SharedClusterTest(fixture), IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task In_nodejs_refused_events_are_reported_alone_and_a_full_queue_drops_its_oldest()
    {
        await TypeScriptPackage.BuildAsync();
        var (tenantId, key, _) = await NewTenantAsync("ts-client");
        var result = await TypeScriptPackage.DeliverAsync(Cluster.Gateways[0].BaseAddress, key, "bounded");

        var sent = result.GetProperty("sent").EnumerateArray().Select(e => e.GetGuid()).ToList();
        Assert.Equal(sent.Take(5).ToHashSet(), TypeScriptPackage.Ids(result.GetProperty("dropped")));
        Assert.Equal([sent[12]], TypeScriptPackage.Ids(result.GetProperty("rejected")));
        Assert.Equal(0, result.GetProperty("failures").GetArrayLength());
        var stats = result.GetProperty("stats");
        Assert.Equal((9, 1, 5), (stats.GetProperty("delivered").GetInt32(), stats.GetProperty("rejected").GetInt32(), stats.GetProperty("dropped").GetInt32()));
        Assert.Equal(sent.Skip(5).Where(id => id != sent[12]).ToHashSet(), await DotnetClientTests.StoredIdsAsync(Cluster.Database, tenantId));
    }

    [Fact]
    public async Task In_a_browser_what_is_queued_is_delivered_when_the_page_is_left()
    {
        await TypeScriptPackage.BuildAsync();
        // The page comes from a loopback origin of its own, which the gateway allows (CORS), as an app's pages would.
        await using var site = await StaticSite.StartAsync(Path.Combine(TypeScriptPackage.Root, "dist"), """
            <!doctype html><html lang="en"><head><title>app</title></head><body>
            <script type="module">import { TelemetryClient } from "./index.js"; window.TelemetryClient = TelemetryClient;</script>
            </body></html>
            """);
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["TELEMETRY_CORS_ORIGINS"] = site.Origin });
        var (tenantId, key, _) = await NewTenantAsync("ts-browser", gateway);

        var context = await browser.Browser.NewContextAsync();
        try
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(site.Origin + "/index.html");
            await page.WaitForFunctionAsync("() => window.TelemetryClient !== undefined");
            // A flush interval of ten minutes: nothing leaves before the page is left.
            var ids = await page.EvaluateAsync<string[]>("""
                ([endpoint, apiKey]) => {
                  window.client = new window.TelemetryClient({ endpoint, apiKey, flushAt: 1000, flushInterval: 600000 });
                  return [1, 2, 3, 4, 5].map(n => window.client.enqueue({ type: "page_view", user_id: "visitor", properties: { n } }));
                }
                """, new[] { gateway.BaseAddress.ToString(), key });
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Empty(await DotnetClientTests.StoredIdsAsync(Cluster.Database, tenantId));

            await page.GotoAsync("about:blank"); // pagehide, then the document goes: only a keepalive request survives it
            var expected = ids.Select(Guid.Parse).ToHashSet();
            await Eventually.HoldsAsync(async () =>
            {
                var stored = await DotnetClientTests.StoredIdsAsync(Cluster.Database, tenantId);
                return stored.SetEquals(expected) ? null : $"{stored.Count} of {expected.Count} stored";
            }, TimeSpan.FromSeconds(15));
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    /// <summary>Serves a folder and an index page on a loopback port.</summary>
    private sealed class StaticSite(WebApplication app, string origin) : IAsyncDisposable
    {
        public string Origin { get; } = origin;

        public static async Task<StaticSite> StartAsync(string folder, string index)
        {
            var port = LoopbackPort.Free();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            app.MapGet("/index.html", () => Results.Content(index, "text/html"));
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(folder), ServeUnknownFileTypes = true });
            await app.StartAsync();
            return new StaticSite(app, $"http://127.0.0.1:{port}");
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

/// <summary>The SDK in Node.js through a gateway killed and restarted with a rate limit below its pace.</summary>
public sealed class TypeScriptClientRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_event_is_delivered_exactly_once_through_a_gateway_restart_and_a_rate_limit()
    {
        await TypeScriptPackage.BuildAsync();
        await using var cluster = new ProcessCluster(await SharedPostgres.GetAsync(), "ts-client", output);
        await cluster.StartSilosAsync(1);
        var (gateway, address) = await cluster.StartGatewayAsync("gateway-0");
        var tenant = (await new ApiKeyStore(cluster.Database).CreateTenantAsync("ts-" + Guid.NewGuid().ToString("N")[..10]))!;

        // 6,000 events at about 750 a second, while the gateway goes away and comes back at 400 a second for the tenant.
        var delivering = TypeScriptPackage.DeliverAsync(address, tenant.Key, "steady", 6_000);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await gateway.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await cluster.StartGatewayAsync("gateway-0-limited", address.Port, new Dictionary<string, string?>
        {
            ["RateLimit__EventsPerSecond"] = "400", ["RateLimit__Burst"] = "1000",
        });
        var result = await delivering;
        output.WriteLine($"stats {result.GetProperty("stats")}, answers {result.GetProperty("statuses")}, flush took {result.GetProperty("flushMs")} ms");

        Assert.Equal(0, result.GetProperty("failures").GetArrayLength());
        var stats = result.GetProperty("stats");
        Assert.Equal((6_000, 0, 0, 0), (stats.GetProperty("delivered").GetInt32(), stats.GetProperty("failed").GetInt32(), stats.GetProperty("dropped").GetInt32(), stats.GetProperty("rejected").GetInt32()));
        var statuses = result.GetProperty("statuses");
        Assert.True(statuses.TryGetProperty("0", out _), "no request met the gateway gone");
        Assert.True(statuses.TryGetProperty("429", out _), "the tenant was never rate-limited");
        Assert.Equal(TypeScriptPackage.Ids(result.GetProperty("sent")), await DotnetClientTests.StoredIdsAsync(cluster.Database, tenant.TenantId));
    }
}
