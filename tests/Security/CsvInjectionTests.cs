using CsvHelper;
using Telemetry.Gateway.Query;

namespace Telemetry.Tests.Security;

/// <summary>CSV exports escape cells a spreadsheet would run as formulas (OWASP CSV injection).</summary>
public sealed class CsvInjectionTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    private const string Hyperlink = "=HYPERLINK(\"http://e/\",\"x\")";

    [Fact]
    public async Task Formula_like_values_in_any_text_column_come_back_escaped_with_a_single_quote_and_json_stays_json()
    {
        var (_, key, client) = await NewTenantAsync("csvinj");
        var batch = new JsonObject
        {
            ["events"] = new JsonArray(
                new JsonObject { ["type"] = "+cmd|' /C calc'!A0", ["user_id"] = Hyperlink, ["session_id"] = "@SUM(1+1)", ["environment"] = "-2+3", ["properties"] = new JsonObject { ["note"] = "=1+1" }, ["timestamp"] = "2026-11-20T10:00:00Z" },
                new JsonObject { ["type"] = "plain", ["user_id"] = "a-b=c", ["session_id"] = "s1", ["timestamp"] = "2026-11-20T09:00:00Z" }),
        };
        using (var posted = await client.PostAsJsonAsync("v1/events/batch", batch))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        using var response = await client.GetAsync(new Uri("v1/events/export?format=csv", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(",\"=HYPERLINK", text, StringComparison.Ordinal);
        Assert.DoesNotContain(",=HYPERLINK", text, StringComparison.Ordinal);

        var rows = Read(text);
        Assert.Equal(3, rows.Count);
        var hostile = rows[1];
        Assert.Equal("'+cmd|' /C calc'!A0", hostile[1]);
        Assert.Equal("'" + Hyperlink, hostile[3]);
        Assert.Equal("'@SUM(1+1)", hostile[4]);
        Assert.Equal("'-2+3", hostile[5]);
        // Properties are a JSON object: it starts with '{' and must stay parseable JSON, formulas inside untouched.
        Assert.Equal("=1+1", JsonNode.Parse(hostile[9])!["note"]!.GetValue<string>());
        // Values that only contain those characters further in are left as they are.
        Assert.Equal(["plain", "a-b=c", "s1"], new[] { rows[2][1], rows[2][3], rows[2][4] });
    }

    [Theory]
    [InlineData("\tcmd")]
    [InlineData("\r=1+1")]
    [InlineData("=1+1")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData("@A1")]
    public async Task Every_owasp_formula_start_is_escaped_in_every_text_column(string value)
    {
        var stored = new StoredEvent(Guid.NewGuid(), 1, value, null, value, value, value, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, "{}");
        using var output = new MemoryStream();
        await EventExports.WriteCsvAsync(One(stored), output, CancellationToken.None);
        var row = Read(System.Text.Encoding.UTF8.GetString(output.ToArray()))[1];
        foreach (var column in new[] { 1, 3, 4, 5 }) Assert.Equal("'" + value, row[column]);
    }

    private static List<string[]> Read(string csv)
    {
        var rows = new List<string[]>();
        using var reader = CsvReader.Create(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)), CsvReaderOptions.Default with { HasHeader = false }, leaveOpen: false);
        while (reader.Read()) rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetString)]);
        return rows;
    }

    private static async IAsyncEnumerable<StoredEvent> One(StoredEvent e)
    {
        await Task.Yield();
        yield return e;
    }
}
