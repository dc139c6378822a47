using System.Collections.Frozen;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Telemetry.Gateway.Dashboard;

/// <summary>
/// The dashboard's built files (dashboard/dist), embedded in the gateway's assembly by its build and
/// held in memory with their gzip forms: about 100 KB, and no dependence on the content root.
/// </summary>
public sealed class DashboardAssets
{
    /// <summary>Start of the embedded files' logical names, as Telemetry.Gateway.csproj sets them.</summary>
    public const string ResourcePrefix = "Dashboard/";

    public const string IndexPath = "index.html";

    private readonly FrozenDictionary<string, DashboardAsset> _assets;

    private DashboardAssets(FrozenDictionary<string, DashboardAsset> assets) => _assets = assets;

    /// <summary>True when the gateway was built without the dashboard (no embedded index.html).</summary>
    public bool IsMissing => !_assets.ContainsKey(IndexPath);

    public DashboardAsset? Find(string path) => _assets.GetValueOrDefault(path);

    public static DashboardAssets Load(Assembly assembly)
    {
        var types = new FileExtensionContentTypeProvider();
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            // On Windows MSBuild's RecursiveDir brings backslashes into the name.
            var normalized = name.Replace('\\', '/');
            if (!normalized.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            var path = normalized[ResourcePrefix.Length..];
            using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"The embedded resource {name} cannot be read.");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = path == IndexPath ? WithWindowTable(buffer.ToArray()) : buffer.ToArray();
            var contentType = types.TryGetContentType(path, out var type) ? type : "application/octet-stream";
            if (contentType.StartsWith("text/", StringComparison.Ordinal)) contentType += "; charset=utf-8";
            var gzipped = Gzip(content);
            var worthIt = gzipped.Length < content.Length * 0.9;
            // Every file but the page itself has its content's hash in its name: it never changes under that name.
            assets[path] = new DashboardAsset(
                content, worthIt ? gzipped : null, contentType,
                EntityTag(content, ""), worthIt ? EntityTag(content, "-gzip") : null,
                Immutable: path != IndexPath);
        }
        return new DashboardAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>
    /// Writes the windows the dashboard offers (the bounded ones) and the series buckets into the page,
    /// from the one table the API and the grains read, so that the page never carries its own copy.
    /// </summary>
    private static byte[] WithWindowTable(byte[] page)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("windows");
            foreach (var window in MetricsWindows.Windows.Where(w => w.Length is not null))
            {
                writer.WriteStartObject();
                writer.WriteString("name", window.Name);
                writer.WriteString("label", window.Label);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteStartArray("buckets");
            foreach (var bucket in MetricsWindows.SeriesBuckets)
            {
                writer.WriteStartObject();
                writer.WriteString("name", bucket.Name);
                writer.WriteString("label", bucket.Label);
                writer.WriteNumber("seconds", bucket.Seconds);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(page).Replace(WindowTablePlaceholder, Encoding.UTF8.GetString(json.ToArray()), StringComparison.Ordinal));
    }

    private const string WindowTablePlaceholder = "%METRICS_WINDOWS%";

    private static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(content);
        return output.ToArray();
    }

    private static EntityTagHeaderValue EntityTag(byte[] content, string suffix) =>
        new($"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12))}{suffix}\"");
}

/// <summary>One file of the dashboard: its bytes, its gzip bytes when they save enough, its type and entity tags.</summary>
public sealed record DashboardAsset(
    byte[] Content, byte[]? Gzipped, string ContentType, EntityTagHeaderValue ETag, EntityTagHeaderValue? GzipETag, bool Immutable);
