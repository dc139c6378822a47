using System.IO.Compression;
using System.Net.Http.Headers;
using CsCheck;

namespace Telemetry.Tests.Security;

/// <summary>
/// Random and hostile bodies, headers and encodings thrown at the ingest endpoints (CsCheck): never a
/// 5xx, never a crash, and nothing stored that breaks a rule of the contract.
/// </summary>
public sealed class HostileInputTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    private static readonly HttpStatusCode[] Allowed =
    [
        HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized,
        HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType, HttpStatusCode.UnprocessableEntity, HttpStatusCode.TooManyRequests,
    ];

    /// <summary>A JSON-ish string value: plain, empty, long, with escapes that JSON allows and PostgreSQL does not.</summary>
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String[Gen.Char['a', 'z'], 1, 20].Select(s => $"\"{s}\""),
        Gen.OneOf("\"\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud83d\\ude00\"", "\"\\n\\t\\r\"", "\"\\u0007\"", "\"\\u009f\"",
            "\"SUCCESS\"", "\"failure\"", "\"Failure \"", "\"2026-11-23T06:00:00Z\"", "\"2026-11-23T06:00:00\"", "\"9999-12-31T23:59:59Z\"", "\"0001-01-01T00:00:00+14:00\"",
            "\"0191f1a0-7c2e-7d3a-9f00-5b6c7d8e9f10\"", "\"00000000-0000-0000-0000-000000000000\"", "\"ǅ\u200b\u202e\""),
        Gen.Int[0, 300].Select(n => $"\"{new string('x', n)}\""),
        Gen.Int[30_000, 40_000].Select(n => $"\"{new string('p', n)}\""));

    private static readonly Gen<string> Scalar = Gen.OneOf(
        Text,
        Gen.OneOf("null", "true", "false", "0", "-0", "-1", "1e308", "1e400", "-1e400", "0.000001", "12345678901234567890", "NaN", "Infinity", "[]", "{}", "[[[[]]]]",
            "1e999999", "-1e-999999", "0e-99999", "1e-400", "5e-324", "1.7e308", "2592000001"),
        Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "0"));

    private static readonly Gen<string> FieldName = Gen.OneOf(
        "id", "type", "status", "user_id", "session_id", "environment", "timestamp", "duration_ms", "properties",
        "Type", "TYPE", "type ", "typ\\u0065", "extra", "__proto__", "", "\\u0000", "\\ud800", "events", "ticket_id");

    private static Gen<string> Value(int depth) => depth <= 0
        ? Scalar
        : Gen.Frequency(
            (6, Scalar),
            (1, Gen.Select(FieldName, Value(depth - 1)).Array[0, 4].Select(Object)),
            (1, Value(depth - 1).Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")));

    private static string Object((string Name, string Value)[] fields) => "{" + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Value}")) + "}";

    /// <summary>An event-like object: mostly the contract's fields, with anything in them.</summary>
    private static readonly Gen<string> Event = Gen.Select(FieldName, Value(2)).Array[0, 9].Select(fields =>
        Object([("type", "\"fuzzed\""), .. fields]));

    /// <summary>Events that mostly keep the rules, with an odd value here and there: they reach storage.</summary>
    private static readonly Gen<string> NearlyValidEvent = Gen.Select(
        Gen.OneOf("\"tutor_query\"", "\"ünïcödé ✓\"", "\"😀\"", $"\"{new string('t', 128)}\"", "\"\\u00e9t\\u00e9\""),
        Gen.OneOf("null", "\"success\"", "\"FAILURE\"", "\"Success\""),
        Gen.OneOf("null", "\"user@example.edu\"", "\"\\ud83d\\ude00\"", $"\"{new string('u', 256)}\""),
        Gen.OneOf("null", "0", "1.5", "1e3", "123456.789"),
        Gen.OneOf("null", "{}", "{\"nested\":{\"a\":[1,2,{\"b\":null}]}}", "{\"\\u00e9\":\"\\ud83d\\ude00\"}", "{\"q\":\"2+2\",\"ok\":true}"),
        Gen.OneOf("null", "\"2026-11-22T10:00:00Z\"", "\"1999-01-01T00:00:00.123456789-05:00\"", "\"2026-11-23t06:00:00+00:00\""))
        .Select((type, status, user, duration, properties, timestamp) =>
            $"{{\"type\":{type},\"status\":{status},\"user_id\":{user},\"duration_ms\":{duration},\"properties\":{properties},\"timestamp\":{timestamp}}}");

    private static readonly Gen<byte[]> Body = Gen.Frequency(
        (5, NearlyValidEvent.Select(e => Encoding.UTF8.GetBytes(e))),
        (3, NearlyValidEvent.Array[1, 6].Select(events => Encoding.UTF8.GetBytes("{\"events\":[" + string.Join(",", events) + "]}"))),
        (5, Event.Select(e => Encoding.UTF8.GetBytes(e))),
        (3, Event.Array[0, 6].Select(events => Encoding.UTF8.GetBytes("{\"events\":[" + string.Join(",", events) + "]}"))),
        (2, Event.Array[0, 6].Select(events => Encoding.UTF8.GetBytes(string.Join("\n", events)))),
        (1, Gen.Byte.Array[0, 300]),
        (1, Gen.Int[40, 200].Select(n => Encoding.UTF8.GetBytes(new string('[', n) + new string(']', n)))),
        (1, Gen.OneOf("", "{", "null", "\"type\"", "{\"type\":\"a\"}{\"type\":\"b\"}", "\uFEFF{\"type\":\"bom\"}").Select(s => Encoding.UTF8.GetBytes(s))));

    // Mostly what a client would send, so that most requests reach validation and storage; the rest hostile.
    private static readonly Gen<string?> ContentType = Gen.Frequency<string?>(
        (30, "application/json"), (10, "application/x-ndjson"), (2, "application/json; charset=utf-8"), (1, "application/json; charset=utf-16"),
        (1, "text/plain"), (1, "application/xml"), (1, "multipart/form-data; boundary=x"), (1, "application/json;;"), (1, "*/*"), (1, null));

    private static readonly Gen<string> Encoding_ = Gen.Frequency(
        (30, ""), (8, "gzip"), (1, "GZIP"), (1, "broken-gzip"), (1, "br"), (1, "deflate"), (1, "identity"), (1, "gzip, gzip"));

    private static readonly Gen<string> Auth = Gen.Frequency(
        (40, "key"), (6, "x-api-key"), (1, "none"), (1, "bogus"), (1, "Bearer"), (1, "lowercase-bearer"));

    [Fact]
    public async Task Random_and_hostile_requests_never_get_a_5xx_and_never_store_an_event_that_breaks_a_rule()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("fuzz");
        using var client = Cluster.Gateways[0].CreateClient();
        var statuses = new Dictionary<HttpStatusCode, int>();

        await Gen.Select(Body, ContentType, Encoding_, Auth, Gen.Bool).SampleAsync(async sample =>
        {
            var (body, contentType, encoding, auth, batch) = sample;
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(batch ? "v1/events/batch" : "v1/events", UriKind.Relative));
            var bytes = encoding switch
            {
                "gzip" or "GZIP" => Gzip(body),
                "gzip, gzip" => Gzip(Gzip(body)),
                "broken-gzip" => [0x1f, 0x8b, .. body],
                _ => body,
            };
            request.Content = new ByteArrayContent(bytes);
            if (contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var media)) request.Content.Headers.ContentType = media;
            else if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            foreach (var part in (encoding == "broken-gzip" ? "gzip" : encoding).Split(", ", StringSplitOptions.RemoveEmptyEntries)) request.Content.Headers.ContentEncoding.Add(part);
            switch (auth)
            {
                case "key": request.Headers.Authorization = new("Bearer", key); break;
                case "x-api-key": request.Headers.Add("X-API-Key", key); break;
                case "bogus": request.Headers.Authorization = new("Bearer", "tlm_" + new string('0', 32) + "_" + new string('A', 43)); break;
                case "Bearer": request.Headers.TryAddWithoutValidation("Authorization", "Bearer"); break;
                case "lowercase-bearer": request.Headers.TryAddWithoutValidation("Authorization", "bearer " + key); break;
            }

            using var response = await client.SendAsync(request);
            lock (statuses) statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            if (!Allowed.Contains(response.StatusCode))
            {
                throw new InvalidOperationException($"{(int)response.StatusCode} for {request.RequestUri} {contentType} {encoding} {auth}: {Encoding.UTF8.GetString(body)[..Math.Min(300, body.Length)]}\n{await response.Content.ReadAsStringAsync()}");
            }
        }, iter: 1500, threads: 4);

        output.WriteLine(string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(int)s.Key}: {s.Value}")));
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.Created) + statuses.GetValueOrDefault(HttpStatusCode.OK) > 100, "many requests got through");
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.UnprocessableEntity) > 20, "some requests broke rules");

        // Every stored event keeps every rule of the contract's event table.
        var sql = new SqlTruth(Cluster.Database);
        Assert.True(await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)) > 0);
        Assert.Equal(0, await sql.CountAsync("""
            SELECT count(*) FROM events
            WHERE tenant_id = @t AND NOT (
                char_length(type) BETWEEN 1 AND 128 AND type !~ '[\x01-\x1f\x7f]'
                AND (status IS NULL OR status IN ('success', 'failure'))
                AND (user_id IS NULL OR char_length(user_id) BETWEEN 1 AND 256)
                AND (session_id IS NULL OR char_length(session_id) <= 256)
                AND (environment IS NULL OR char_length(environment) <= 64)
                AND (duration_ms IS NULL OR (duration_ms >= 0 AND duration_ms <= 2592000000))
                AND jsonb_typeof(properties) = 'object'
                AND octet_length(properties::text) <= 32768 * 2
                AND occurred_at <= received_at + interval '24 hours')
            """, ("t", tenant)));
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }
}
