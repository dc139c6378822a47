namespace Telemetry.Bench;

/// <summary>The benchmark's table: one row a figure, with its goal and the processes' memory peaks.</summary>
public sealed class BenchReport
{
    private readonly List<string> _rows = [];
    private readonly List<string> _notes = [];

    public void Add(string figure, string rate, double? p50, double? p99, string goal, IReadOnlyDictionary<string, double>? memory)
    {
        var mem = memory is null ? "" : string.Join(", ", memory.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} {m.Value:F0}"));
        _rows.Add(Invariant($"| {figure} | {rate} | {Ms(p50)} | {Ms(p99)} | {goal} | {mem} |"));
        Console.WriteLine(Invariant($"{figure}: {rate}, p50 {Ms(p50)}, p99 {Ms(p99)}; {goal}"));
    }

    public void Note(string text)
    {
        _notes.Add(text);
        Console.WriteLine(text);
    }

    public string Render(string machine)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"# Benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        text.AppendLine();
        text.AppendLine(machine);
        text.AppendLine();
        text.AppendLine("| figure | rate | p50 (ms) | p99 (ms) | against | peak memory (MiB) |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var row in _rows) text.AppendLine(row);
        text.AppendLine();
        foreach (var note in _notes) text.AppendLine("- " + note);
        return text.ToString();
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Ms(double? value) => value is { } v && !double.IsNaN(v) ? v.ToString("F2", CultureInfo.InvariantCulture) : "";
}
