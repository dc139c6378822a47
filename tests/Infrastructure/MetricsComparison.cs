namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// Reads the live metrics over HTTP and compares them with <see cref="SqlTruth"/> for the same window
/// (the window start the response names). Answers null when equal, else what differs.
/// </summary>
public sealed class MetricsComparison(HttpClient client, SqlTruth sql)
{
    public static readonly string[] Windows = ["15m", "1h", "24h", "7d", "30d", "all"];

    /// <summary>Overview, categories and every available time series of every window.</summary>
    public async Task<string?> TenantDiffersAsync(string tenant)
    {
        foreach (var window in Windows)
        {
            using var overview = await GetAsync($"v1/metrics/overview?window={window}");
            var from = From(overview.RootElement);
            if (Differs(overview.RootElement, "total", await sql.TotalsAsync(tenant, from)) is { } o) return $"overview {window}: {o}";

            using var categories = await GetAsync($"v1/metrics/categories?window={window}");
            if (await CategoriesDifferAsync(categories.RootElement.GetProperty("data"), await sql.CategoriesAsync(tenant, From(categories.RootElement))) is { } c) return $"categories {window}: {c}";

            foreach (var (bucket, seconds) in new[] { ("1m", 60), ("5m", 300), ("1h", 3600), ("1d", 86400) })
            {
                if (bucket is "1m" or "5m" && window is not ("15m" or "1h" or "24h")) continue;
                if (bucket == "1h" && window == "all") continue;
                using var series = await GetAsync($"v1/metrics/timeseries?window={window}&bucket={bucket}");
                var expected = await sql.SeriesAsync(tenant, From(series.RootElement), seconds, null);
                foreach (var point in series.RootElement.GetProperty("data").EnumerateArray())
                {
                    var start = DateTimeOffset.Parse(point.GetProperty("start").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeSeconds();
                    var count = point.GetProperty("count").GetInt64();
                    expected.TryGetValue(start, out var want);
                    if (count != (want?.Count ?? 0)) return $"timeseries {window}/{bucket} at {start}: {count} != {want?.Count ?? 0}";
                    if (want is not null && Differs(point, "count", want) is { } p) return $"timeseries {window}/{bucket} at {start}: {p}";
                    expected.Remove(start);
                }
                if (expected.Count > 0) return $"timeseries {window}/{bucket}: buckets missing: {string.Join(", ", expected.Keys)}";
            }
        }
        return null;
    }

    /// <summary>One user's overview and categories in every window, and first/last seen.</summary>
    public async Task<string?> UserDiffersAsync(string tenant, string user)
    {
        foreach (var window in Windows)
        {
            using var metrics = await GetAsync($"v1/users/{Uri.EscapeDataString(user)}/metrics?window={window}");
            var root = metrics.RootElement;
            var from = From(root);
            if (Differs(root, "total", await sql.TotalsAsync(tenant, from, user)) is { } o) return $"user {user} {window}: {o}";
            if (await CategoriesDifferAsync(root.GetProperty("categories"), await sql.CategoriesAsync(tenant, from, user)) is { } c) return $"user {user} categories {window}: {c}";
        }
        return null;
    }

    private async Task<JsonDocument> GetAsync(string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }

    private static Task<string?> CategoriesDifferAsync(JsonElement data, Dictionary<string, SqlTruth.Totals> expected)
    {
        var seen = 0;
        long previous = long.MaxValue;
        foreach (var item in data.EnumerateArray())
        {
            var type = item.GetProperty("type").GetString()!;
            if (!expected.TryGetValue(type, out var want)) return Task.FromResult<string?>($"unexpected category {type}");
            if (Differs(item, "count", want) is { } d) return Task.FromResult<string?>($"{type}: {d}");
            var count = item.GetProperty("count").GetInt64();
            if (count > previous) return Task.FromResult<string?>("categories are not most frequent first");
            previous = count;
            seen++;
        }
        return Task.FromResult(seen == expected.Count ? null : $"{seen} categories, SQL has {expected.Count}");
    }

    private static string? Differs(JsonElement actual, string countField, SqlTruth.Totals want)
    {
        var count = actual.GetProperty(countField).GetInt64();
        var success = actual.GetProperty("success").GetInt64();
        var failure = actual.GetProperty("failure").GetInt64();
        if (count != want.Count || success != want.Success || failure != want.Failure)
        {
            return $"count/success/failure {count}/{success}/{failure}, SQL {want.Count}/{want.Success}/{want.Failure}";
        }
        var avg = actual.GetProperty("avg_duration_ms");
        double? got = avg.ValueKind == JsonValueKind.Null ? null : avg.GetDouble();
        if (got.HasValue != want.AvgDuration.HasValue) return $"avg_duration_ms {got}, SQL {want.AvgDuration}";
        if (got is { } g && want.AvgDuration is { } w && Math.Abs(g - w) > 1e-9 * Math.Max(1, Math.Abs(w))) return $"avg_duration_ms {g}, SQL {w}";
        if (actual.TryGetProperty("success_rate", out var rate))
        {
            double? expectedRate = want.Success + want.Failure == 0 ? null : (double)want.Success / (want.Success + want.Failure);
            double? gotRate = rate.ValueKind == JsonValueKind.Null ? null : rate.GetDouble();
            if (gotRate.HasValue != expectedRate.HasValue || (gotRate is { } gr && Math.Abs(gr - expectedRate!.Value) > 1e-12)) return $"success_rate {gotRate}, expected {expectedRate}";
        }
        return null;
    }

    private static DateTimeOffset? From(JsonElement root) =>
        root.GetProperty("from").ValueKind == JsonValueKind.Null ? null : DateTimeOffset.Parse(root.GetProperty("from").GetString()!, CultureInfo.InvariantCulture);
}
