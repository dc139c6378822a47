using System.Globalization;
using Telemetry.Bench;

// Usage: Telemetry.Bench ingest <gateway-url> <key> <connections> <events-per-request> <seconds>
if (args is not ["ingest", var url, var key, var connectionsText, var perRequestText, var secondsText])
{
    Console.Error.WriteLine("usage: Telemetry.Bench ingest <gateway-url> <key> <connections> <events-per-request> <seconds>");
    return 2;
}

var connections = int.Parse(connectionsText, CultureInfo.InvariantCulture);
var perRequest = int.Parse(perRequestText, CultureInfo.InvariantCulture);
var seconds = double.Parse(secondsText, CultureInfo.InvariantCulture);
var load = new IngestLoad(new Uri(url), key, connections, perRequest);
var result = await load.RunAsync(TimeSpan.FromSeconds(Math.Min(5, seconds / 4)), TimeSpan.FromSeconds(seconds));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{perRequest} event(s)/request, {connections} connections: {result.EventsPerSecond:F0} events/s, {result.Requests / result.Elapsed.TotalSeconds:F0} requests/s, p50 {result.Percentile(50):F2} ms, p99 {result.Percentile(99):F2} ms, {result.Failures} failures over {result.Elapsed.TotalSeconds:F1} s"));
return 0;
