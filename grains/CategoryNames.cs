namespace Telemetry.Grains;

/// <summary>
/// One string instance per category name in a silo, shared by every metrics grain: each message
/// deserializes its own copies, and a name kept in thousands of user grains would otherwise be
/// kept thousands of times. Bounded, so that a flood of distinct names cannot grow it without end.
/// </summary>
internal static class CategoryNames
{
    private const int MaxNames = 100_000;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);

    public static string Share(string name)
    {
        if (Names.TryGetValue(name, out var shared)) return shared;
        return Names.Count < MaxNames ? Names.GetOrAdd(name, name) : name;
    }
}
