namespace Telemetry.Bench;

/// <summary>How the bench starts its processes (the tests' <see cref="ChildProcess"/>): asked to stop with SIGTERM when done.</summary>
public static class BenchProcess
{
    /// <summary>A .NET program by its dll: a silo, a gateway, the HTTP floor.</summary>
    public static ChildProcess Start(string name, string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment) =>
        StartProgram(name, "dotnet", [dll, .. arguments], environment);

    /// <summary>Any program, such as the Node.js peer.</summary>
    public static ChildProcess StartProgram(string name, string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo(program);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        return ChildProcess.Start(name, start, terminateOnDispose: true);
    }
}
