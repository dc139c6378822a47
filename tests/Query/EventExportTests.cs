using CsvHelper;
using Parquet;
using Parquet.Schema;

namespace Telemetry.Tests.Query;

/// <summary>The exports hold the same rows as the query, in the same order, with typed Parquet columns.</summary>
[Collection(QueryCluster.Name)]
public sealed class EventExportTests(QueryFixture fixture)
{
    private const string Filter = "type=type-3&from=2026-11-12T00:00:00Z";

    [Fact]
    public async Task Csv_ndjson_and_parquet_of_a_filter_hold_the_rows_of_the_query()
    {
        using var client = fixture.Cluster.Gateways[0].CreateClient(fixture.Key);
        var expected = await EventQueryTests.WalkAsync(client, Filter, limit: 1000);
        Assert.True(expected.Count > 100);

        var ndjson = await DownloadAsync(client, "ndjson", "application/x-ndjson");
        var lines = System.Text.Encoding.UTF8.GetString(ndjson).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Count, lines.Length);
        foreach (var (line, want) in lines.Zip(expected))
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(line), JsonNode.Parse(want.GetRawText())), line);
        }

        var csv = await DownloadAsync(client, "csv", "text/csv");
        // Read the header as a record, to check it as it was written.
        using (var reader = CsvReader.Create(new MemoryStream(csv), CsvReaderOptions.Default with { HasHeader = false }, leaveOpen: false))
        {
            Assert.True(reader.Read());
            Assert.Equal(["id", "type", "status", "user_id", "session_id", "environment", "timestamp", "duration_ms", "received_at", "properties"],
                Enumerable.Range(0, reader.FieldCount).Select(reader.GetString));
            foreach (var want in expected)
            {
                Assert.True(reader.Read());
                Assert.Equal(want.GetProperty("id").GetGuid(), Guid.Parse(reader.GetString(0)));
                Assert.Equal(want.GetProperty("type").GetString(), reader.GetString(1));
                Assert.Equal(Text(want, "status"), reader.GetString(2));
                Assert.Equal(Text(want, "user_id"), reader.GetString(3));
                Assert.Equal(Text(want, "session_id"), reader.GetString(4));
                Assert.Equal(Text(want, "environment"), reader.GetString(5));
                Assert.Equal(want.GetProperty("timestamp").GetDateTimeOffset(), DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture));
                Assert.Equal(Number(want), reader.GetString(7) is { Length: > 0 } d ? double.Parse(d, CultureInfo.InvariantCulture) : null);
                Assert.Equal(want.GetProperty("received_at").GetDateTimeOffset(), DateTimeOffset.Parse(reader.GetString(8), CultureInfo.InvariantCulture));
                Assert.True(JsonNode.DeepEquals(JsonNode.Parse(want.GetProperty("properties").GetRawText()), JsonNode.Parse(reader.GetString(9))));
            }
            Assert.False(reader.Read());
        }

        var parquet = await DownloadAsync(client, "parquet", "application/vnd.apache.parquet");
        await using var file = await ParquetReader.CreateAsync(new MemoryStream(parquet));
        var fields = file.Schema.DataFields;
        Assert.Equal(["id", "type", "status", "user_id", "session_id", "environment", "timestamp", "duration_ms", "received_at", "properties"], fields.Select(f => f.Name));
        Assert.IsType<DateTimeDataField>(fields[6]);
        Assert.Equal(typeof(DateTime), fields[6].ClrType);
        Assert.Equal(typeof(double), fields[7].ClrType);
        Assert.True(fields[7].IsNullable);
        Assert.False(fields[0].IsNullable);

        var rows = new List<(string Id, string Type, string? Status, string? User, DateTime Timestamp, double? Duration, DateTime Received, string Properties)>();
        for (var g = 0; g < file.RowGroupCount; g++)
        {
            using var group = file.OpenRowGroupReader(g);
            var n = (int)group.RowCount;
            var ids = new string?[n]; var types = new string?[n]; var statuses = new string?[n]; var users = new string?[n]; var props = new string?[n];
            var stamps = new DateTime[n]; var received = new DateTime[n]; var durations = new double?[n];
            await group.ReadAsync(fields[0], ids.AsMemory());
            await group.ReadAsync(fields[1], types.AsMemory());
            await group.ReadAsync(fields[2], statuses.AsMemory());
            await group.ReadAsync(fields[3], users.AsMemory());
            await group.ReadAsync<DateTime>(fields[6], stamps.AsMemory());
            await group.ReadAsync<double>(fields[7], durations.AsMemory());
            await group.ReadAsync<DateTime>(fields[8], received.AsMemory());
            await group.ReadAsync(fields[9], props.AsMemory());
            for (var i = 0; i < n; i++) rows.Add((ids[i]!, types[i]!, statuses[i], users[i], stamps[i], durations[i], received[i], props[i]!));
        }
        Assert.Equal(expected.Count, rows.Count);
        foreach (var (row, want) in rows.Zip(expected))
        {
            Assert.Equal(want.GetProperty("id").GetGuid(), Guid.Parse(row.Id));
            Assert.Equal(want.GetProperty("type").GetString(), row.Type);
            Assert.Equal(want.GetProperty("status").GetString(), row.Status);
            Assert.Equal(want.GetProperty("user_id").GetString(), row.User);
            Assert.Equal(want.GetProperty("timestamp").GetDateTimeOffset().UtcDateTime, row.Timestamp.ToUniversalTime());
            Assert.Equal(want.GetProperty("received_at").GetDateTimeOffset().UtcDateTime, row.Received.ToUniversalTime());
            Assert.Equal(Number(want), row.Duration);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(want.GetProperty("properties").GetRawText()), JsonNode.Parse(row.Properties)));
        }
    }

    [Fact]
    public async Task An_empty_export_is_a_valid_file_with_the_header_or_schema()
    {
        using var client = fixture.Cluster.Gateways[1].CreateClient(fixture.Key);
        var csv = System.Text.Encoding.UTF8.GetString(await DownloadAsync(client, "csv", "text/csv", "type=nothing-like-this"));
        Assert.Equal("id,type,status,user_id,session_id,environment,timestamp,duration_ms,received_at,properties\r\n", csv);
        await using var file = await ParquetReader.CreateAsync(new MemoryStream(await DownloadAsync(client, "parquet", "application/vnd.apache.parquet", "type=nothing-like-this")));
        Assert.Equal(10, file.Schema.DataFields.Length);
        Assert.Equal(0, Enumerable.Range(0, file.RowGroupCount).Sum(g => file.OpenRowGroupReader(g).RowCount));
    }

    private static async Task<byte[]> DownloadAsync(HttpClient client, string format, string mediaType, string filter = Filter)
    {
        using var response = await client.GetAsync(new Uri($"v1/events/export?format={format}&{filter}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static string Text(JsonElement e, string field) => e.GetProperty(field).GetString() ?? "";

    private static double? Number(JsonElement e) => e.GetProperty("duration_ms").ValueKind == JsonValueKind.Null ? null : e.GetProperty("duration_ms").GetDouble();
}
