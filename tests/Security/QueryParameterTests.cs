using CsCheck;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Security;

/// <summary>
/// Hostile query strings and path parameters on every read endpoint, native and compatible, while
/// PostgreSQL is up: never a 5xx; text the store cannot hold (NUL, broken UTF-8) or longer than the
/// column it filters is a 422 naming the parameter; dates at the ends of the calendar clamp or are refused.
/// </summary>
public sealed class QueryParameterTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    [Theory]
    [InlineData("api/v1/logs?category=%00", "category")]
    [InlineData("api/v1/logs?environment=a%00b", "environment")]
    [InlineData("api/v1/logs?status=%00", "status")]
    [InlineData("api/v1/logs?ticket_id=T%00", "ticket_id")]
    [InlineData("api/v1/logs?ticket_id=LONG", "ticket_id")]
    [InlineData("api/v1/logs?category=LONG", "category")]
    [InlineData("v1/events?type=%00", "type")]
    [InlineData("v1/events?user_id=LONG", "user_id")]
    [InlineData("v1/events/export?environment=%00", "environment")]
    [InlineData("v1/events?cursor=9999-12-31T23:59:59Z&cursor=%3F", "cursor")] // 22 characters once joined, not base64url
    [InlineData("v1/events?cursor=!!!!!!!!!!!!!!!!!!!!!!", "cursor")]
    public async Task Text_the_store_cannot_hold_is_a_422_naming_the_parameter(string path, string parameter)
    {
        var (_, key, client) = await NewTenantAsync("qtext");
        using var response = await client.GetAsync(new Uri(path.Replace("LONG", new string('x', 3000), StringComparison.Ordinal), UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{path}: {(int)response.StatusCode} {body}");
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        using var problem = JsonDocument.Parse(body);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(parameter, out _), body);
    }

    [Theory]
    [InlineData("api/v1/logs?end_date=9999-12-31")]
    [InlineData("api/v1/logs?start_date=9999-12-31&end_date=9999-12-31")]
    [InlineData("api/v1/logs?end_date=9999-12-31T23:59:59.9999999Z")]
    [InlineData("api/v1/logs?start_date=0001-01-01&end_date=0001-01-01")]
    [InlineData("api/v1/logs?start_date=0001-01-01T00:00:00%2B14:00")]
    [InlineData("api/v1/logs?end_date=9999-12-31T23:59:59-14:00")]
    [InlineData("v1/events?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.999999Z")]
    [InlineData("v1/events?to=9999-12-31T23:59:59-14:00")]
    [InlineData("v1/events?from=0001-01-01T00:00:00%2B14:00")]
    public async Task Dates_at_the_ends_of_the_calendar_clamp_or_are_refused(string path)
    {
        var (_, key, client) = await NewTenantAsync("qdate");
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task An_end_date_on_the_last_day_of_the_calendar_selects_everything_from_the_start()
    {
        var (_, key, client) = await NewTenantAsync("qclamp");
        using (var created = await client.PostAsync(new Uri("api/v1/logs", UriKind.Relative), IngestValidationTests.Json(
            """{"environment": "production", "executed_at": "2025-12-24T10:30:00Z", "status": "SUCCESS", "ticket_id": "T-1"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var page = JsonDocument.Parse(await client.GetStringAsync(new Uri("api/v1/logs?start_date=2025-12-24&end_date=9999-12-31", UriKind.Relative)));
        Assert.Equal(1, page.RootElement.GetProperty("pagination").GetProperty("total").GetInt64());
    }

    /// <summary>A query value as sent on the wire (already percent-encoded): ordinary, empty, hostile.</summary>
    private static readonly Gen<string> Value = Gen.Frequency(
        (4, Gen.String[Gen.Char['a', 'z'], 1, 12]),
        (4, Gen.OneOf("%00", "a%00b", "%00%00", "%C0%80", "%ED%A0%80", "%ED%B0%80x", "%FF", "%FE%FF", "%F4%90%80%80")),
        (4, Gen.OneOf(
            "", "%F0%9F%98%80", "%EF%BF%BD", "%0A", "%0D%0A", "%1B", "%7F", "%C2%9F",
            "%25", "%2525", "%27%20OR%201%3D1--", "%5C", "%22", "%2F", "..%2F..", "*", "%2A", "%3F", "%26", "%23", "+", "%20", "%09",
            "success", "SUCCESS", "failure", "FAILURE", "ERROR", "production", "staging", "billing_issue", "type-1", "user-1", "T-1")),
        (4, Gen.OneOf(
            "9999-12-31", "0001-01-01", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59-14:00",
            "0001-01-01T00:00:00%2B14:00", "0001-01-01T00:00:00Z", "10000-01-01", "-0001-01-01", "2026-02-30", "2026-13-01", "2026-11-23T25:00:00Z",
            "2026-11-23T06:04:27Z", "2026-11-23T06:04:27%2B05:30", "2026-11-23", "2026-11-23T06:04:27", "1970-01-01T00:00:00Z", "2026-11-23T06:04:27.123456789Z")),
        (3, Gen.OneOf(
            "0", "-1", "1", "2", "50", "100", "1000", "1001", "2147483", "2147484", "2147483647", "2147483648", "99999999999999999999", "1e3", "0x10", " 1", "%EF%BC%91",
            "15m", "1h", "24h", "7d", "30d", "all", "1m", "5m", "1d", "90", "91", "csv", "ndjson", "parquet", "AAAAAAAAAAAAAAAAAAAAAA", "_____________________w",
            "0191f1a0-7c2e-7d3a-9f00-5b6c7d8e9f10", "00000000-0000-0000-0000-000000000000")),
        (2, Gen.Int[60, 3000].Select(n => new string('x', n))),
        (1, Gen.Int[20, 700].Select(n => string.Concat(Enumerable.Repeat("%F0%9F%98%80", n)))));

    private static readonly (string Path, string[] Parameters)[] Endpoints =
    [
        ("v1/events", ["type", "status", "user_id", "session_id", "environment", "from", "to", "limit", "cursor"]),
        ("v1/events/export", ["type", "status", "user_id", "session_id", "environment", "from", "to", "format", "limit"]),
        ("v1/events/{value}", []),
        ("api/v1/logs", ["environment", "status", "category", "ticket_id", "start_date", "end_date", "page", "page_size"]),
        ("api/v1/logs/{value}", []),
        ("api/v1/metrics/overview", ["days"]),
        ("api/v1/metrics/categories", ["days"]),
        ("v1/metrics/overview", ["window"]),
        ("v1/metrics/categories", ["window"]),
        ("v1/metrics/timeseries", ["window", "bucket", "type"]),
        ("v1/users/{value}/metrics", ["window"]),
    ];

    private static readonly Gen<string> Request =
        Gen.Select(Gen.Int[0, Endpoints.Length - 1], Value, Gen.Select(Gen.Int[0, 8], Value).Array[0, 3])
            .Select((endpoint, pathValue, query) =>
            {
                var (path, parameters) = Endpoints[endpoint];
                var uri = path.Replace("{value}", pathValue.Length == 0 ? "x" : pathValue, StringComparison.Ordinal);
                var pairs = parameters.Length == 0 ? [] : query.Select(q => $"{parameters[q.Item1 % parameters.Length]}={q.Item2}");
                var text = string.Join("&", pairs);
                return text.Length == 0 ? uri : uri + "?" + text;
            });

    [Fact]
    public async Task Random_and_hostile_query_parameters_never_get_a_5xx()
    {
        var (_, key, client) = await NewTenantAsync("qfuzz");
        // Something for the filters to find: native events and a central logger's log with a ticket.
        using (var seeded = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), IngestValidationTests.Json("""
            {"events": [{"type": "type-1", "status": "success", "user_id": "user-1", "session_id": "s", "environment": "production", "duration_ms": 5},
                        {"type": "type-2", "status": "failure", "user_id": "user-2", "timestamp": "2026-01-01T00:00:00Z"}]}
            """)))
        {
            Assert.Equal(HttpStatusCode.OK, seeded.StatusCode);
        }
        using (var log = await client.PostAsync(new Uri("api/v1/logs", UriKind.Relative), IngestValidationTests.Json(
            """{"environment": "production", "executed_at": "2025-12-24T10:30:00Z", "status": "ERROR", "ticket_id": "T-1", "category": "billing_issue"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, log.StatusCode);
        }

        var statuses = new Dictionary<int, int>();
        await Request.SampleAsync(async path =>
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            var status = (int)response.StatusCode;
            lock (statuses) statuses[status] = statuses.GetValueOrDefault(status) + 1;
            // An export's body is read to its end too: a failure while streaming cuts it short.
            var body = await response.Content.ReadAsStringAsync();
            if (status >= 500) throw new InvalidOperationException($"{status} for {path}\n{body[..Math.Min(500, body.Length)]}");
        }, iter: 4000, threads: 2);

        output.WriteLine(string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(statuses.GetValueOrDefault(200) > 100, "many queries were answered");
        Assert.True(statuses.GetValueOrDefault(422) > 50, "many queries were refused");
    }
}
