using Telemetry.Bench;

// ./telemetry bench runs "run"; "floor <port>" is the HTTP floor it starts as a process of its own.
return args switch
{
    ["run"] or [] => await new BenchRun().RunAsync(),
    ["floor", var port] => await Floor(int.Parse(port, CultureInfo.InvariantCulture)),
    ["load", var url, var key, var connections, var perRequest, var seconds] => await Load(new Uri(url), key,
        int.Parse(connections, CultureInfo.InvariantCulture), int.Parse(perRequest, CultureInfo.InvariantCulture), int.Parse(seconds, CultureInfo.InvariantCulture)),
    ["open", var url, var key, var rate, var seconds] => await Open(new Uri(url), key,
        double.Parse(rate, CultureInfo.InvariantCulture), int.Parse(seconds, CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static async Task<int> Floor(int port)
{
    await HttpFloor.RunAsync(port);
    return 0;
}

// Load alone against a running gateway, for profiling: no ceilings, no report.
static async Task<int> Load(Uri gateway, string key, int connections, int perRequest, int seconds)
{
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = gateway };
    client.DefaultRequestHeaders.Authorization = new("Bearer", key);
    var path = new Uri(perRequest == 1 ? "v1/events" : "v1/events/batch", UriKind.Relative);
    var result = await ClosedLoopLoad.RunAsync(connections, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(seconds), async (w, n) =>
    {
        var body = perRequest == 1 ? EventRows.Json(w, n, 0) : EventRows.Batch(w, n, perRequest);
        using var response = await client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        return response.IsSuccessStatusCode ? perRequest : 0;
    });
    Console.WriteLine(BenchReport.Invariant($"{result.ItemsPerSecond:N0} events/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, {result.Failures} failures"));
    return 0;
}

// Single events at a fixed rate against a running gateway, each timed from when it was due, with the bench's CPU.
static async Task<int> Open(Uri gateway, string key, double rate, int seconds)
{
    const int maxOutstanding = 512;
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxOutstanding }) { BaseAddress = gateway };
    client.DefaultRequestHeaders.Authorization = new("Bearer", key);
    var cpu = new CpuSampler([new("load generator", Environment.ProcessId, CpuSampler.Scope.OwnAndReaped)]);
    var path = new Uri("v1/events", UriKind.Relative);
    var result = await OpenLoopLoad.RunAsync(rate, maxOutstanding, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(seconds), async n =>
    {
        using var response = await client.PostAsync(path, new StringContent(EventRows.Json((int)(n % 64), (int)(n / 64), 0), System.Text.Encoding.UTF8, "application/json"));
        return response.StatusCode == System.Net.HttpStatusCode.Created ? 1 : 0;
    }, cpu.Start, cpu.Stop);
    Console.WriteLine(BenchReport.Invariant($"{result.ItemsPerSecond:N0} events/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms from each request's due time, {result.Failures} failures"));
    Console.WriteLine(cpu.Describe("open loop", result.Items));
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Telemetry.Bench [run] | floor <port> | load <gateway-url> <key> <connections> <events-per-request> <seconds> | open <gateway-url> <key> <events-per-second> <seconds>");
    return 2;
}
