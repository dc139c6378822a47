using System.Globalization;
using Telemetry.Bench;

// ./telemetry bench runs "run"; "floor <port>" is the HTTP floor it starts as a process of its own.
return args switch
{
    ["run"] or [] => await new BenchRun().RunAsync(),
    ["floor", var port] => await Floor(int.Parse(port, CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static async Task<int> Floor(int port)
{
    await HttpFloor.RunAsync(port);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Telemetry.Bench [run] | floor <port>");
    return 2;
}
