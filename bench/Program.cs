using System.Globalization;
using Telemetry.Bench;

// ./telemetry bench runs "run"; "floor <port>" is the HTTP floor it starts as a process of its own.
return args switch
{
    ["run"] or [] => await new BenchRun().RunAsync(),
    ["floor", var port] => await Floor(int.Parse(port, CultureInfo.InvariantCulture)),
    ["load", var url, var key, var connections, var perRequest, var seconds] => await Load(new Uri(url), key,
        int.Parse(connections, CultureInfo.InvariantCulture), int.Parse(perRequest, CultureInfo.InvariantCulture), int.Parse(seconds, CultureInfo.InvariantCulture)),
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
    Console.WriteLine(BenchReport.Invariant($"{result.ItemsPerSecond:N0} events/s, p50 {result.Percentile(50):F2} ms, p99 {result.Percentile(99):F2} ms, {result.Failures} failures"));
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Telemetry.Bench [run] | floor <port> | load <gateway-url> <key> <connections> <events-per-request> <seconds>");
    return 2;
}
