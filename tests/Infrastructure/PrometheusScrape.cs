// Shared with bench/ (linked there), which has not the tests' project-wide imports: its own stay here.
using System.Globalization;
using System.Text;

namespace Telemetry.Tests.Infrastructure;

/// <summary>One scrape of a Prometheus text endpoint: its samples, to sum by name and labels.</summary>
public sealed class PrometheusScrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    private PrometheusScrape(string text)
    {
        Text = text;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            _samples.Add(Parse(line));
        }
    }

    public string Text { get; }

    public static async Task<PrometheusScrape> GetAsync(HttpClient client, Uri address)
    {
        using var response = await client.GetAsync(new Uri(address, "metrics"));
        response.EnsureSuccessStatusCode();
        return new PrometheusScrape(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; null when there is none.</summary>
    public double? Sum(string name, params (string Label, string Value)[] labels)
    {
        double? sum = null;
        foreach (var (sampleName, sampleLabels, value) in _samples)
        {
            if (sampleName != name) continue;
            if (labels.All(l => sampleLabels.TryGetValue(l.Label, out var v) && v == l.Value)) sum = (sum ?? 0) + value;
        }
        return sum;
    }

    public bool Has(string name) => _samples.Any(s => s.Name == name);

    private static (string, Dictionary<string, string>, double) Parse(string line)
    {
        var labels = new Dictionary<string, string>();
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var key = line[i..eq].Trim(',', ' ');
                var value = new StringBuilder();
                i = eq + 2; // past ="
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else
                    {
                        value.Append(line[i]);
                    }
                    i++;
                }
                labels[key] = value.ToString();
                i++; // past "
                if (line[i] == ',') i++;
            }
            i++;
        }
        var rest = line[i..].Trim().Split(' ');
        var number = rest[0] switch { "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN, var n => double.Parse(n, CultureInfo.InvariantCulture) };
        return (name, labels, number);
    }
}
