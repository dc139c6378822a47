using System.Text.RegularExpressions;

namespace Telemetry.Tests.Gateway;

/// <summary>
/// The gateway's folders are its layers: the core (HTTP helpers, problems, shared text and JSON
/// rules), then the cross-cutting guards (keys, limits), then the features (one resource each), then
/// the compatible surfaces (adapters over the features), then the composition root. A file may use
/// its own layer and those below, never one above.
/// </summary>
public sealed partial class GatewayLayersTests
{
    private static readonly Dictionary<string, int> Layers = new(StringComparer.Ordinal)
    {
        ["Core"] = 0,
        ["Auth"] = 1,
        ["Limits"] = 1,
        ["Ingest"] = 2,
        ["Query"] = 2,
        ["Metrics"] = 2,
        ["Live"] = 2,
        ["Keys"] = 2,
        ["Health"] = 2,
        ["Dashboard"] = 2,
        ["Alerts"] = 2,
        ["Usage"] = 2,
        ["Rejected"] = 2,
        ["Erasure"] = 2,
        ["Settings"] = 2,
        ["Compat"] = 3,
        [""] = 4,
    };

    [Fact]
    public void No_file_of_the_gateway_uses_a_folder_of_a_higher_layer()
    {
        var gateway = Path.Combine(ServiceProcess.RepositoryRoot, "gateway");
        var folders = Layers.Keys.Where(k => k.Length > 0).ToArray();
        var shortName = new Regex(@"(?<![\w.""])(" + string.Join('|', folders) + @")\.[A-Z]\w*", RegexOptions.CultureInvariant);
        var violations = new List<string>();
        var files = 0;
        foreach (var file in Directory.EnumerateFiles(gateway, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(gateway, file).Replace('\\', '/');
            if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal)) continue;
            files++;
            var folder = relative.Contains('/', StringComparison.Ordinal) ? relative[..relative.IndexOf('/', StringComparison.Ordinal)] : "";
            Assert.True(Layers.TryGetValue(folder, out var layer), $"gateway/{folder} has no layer: give it one in this test");
            var text = File.ReadAllText(file);
            var used = FullName().Matches(text).Select(m => m.Groups[1].Value)
                .Concat(shortName.Matches(text).Select(m => m.Groups[1].Value))
                .Where(Layers.ContainsKey)
                .Distinct();
            foreach (var other in used)
            {
                if (Layers[other] > layer) violations.Add($"{relative} (layer {layer}) uses {other} (layer {Layers[other]})");
            }
        }
        Assert.True(files > 40, $"only {files} files found under {gateway}");
        Assert.Empty(violations);
    }

    [GeneratedRegex(@"\bTelemetry\.Gateway\.(\w+)", RegexOptions.CultureInvariant)]
    private static partial Regex FullName();
}
