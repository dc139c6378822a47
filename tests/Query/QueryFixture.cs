using Npgsql;

namespace Telemetry.Tests.Query;

/// <summary>
/// A tenant with a few thousand varied events (several sharing a timestamp), posted through the
/// gateway, and what was posted, to compute what every query must answer.
/// </summary>
public sealed class QueryFixture : IAsyncLifetime
{
    private TelemetryCluster? _cluster;

    public TelemetryCluster Cluster => _cluster!;

    public string TenantId { get; private set; } = "";

    public string Key { get; private set; } = "";

    /// <summary>Every posted event, with the sequence number the log gave it, newest first as the API orders them.</summary>
    public List<SeededEvent> Events { get; } = [];

    public sealed record SeededEvent(Guid Id, long Seq, string Type, string? Status, string? UserId, string? SessionId, string? Environment, DateTimeOffset Timestamp, double? DurationMs, string Properties);

    public async Task InitializeAsync()
    {
        _cluster = await TelemetryCluster.StartAsync(silos: 2, gateways: 2);
        (TenantId, Key) = await Cluster.CreateTenantAsync("query");
        var random = new Random(99);
        var start = new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.Zero);
        using var client = Cluster.Gateways[0].CreateClient(Key);
        for (var batch = 0; batch < 30; batch++)
        {
            var events = new JsonArray();
            for (var i = 0; i < 100; i++)
            {
                // Whole minutes only, so that many events share a timestamp and the seq breaks ties.
                var e = new JsonObject
                {
                    ["id"] = Guid.NewGuid().ToString(),
                    ["type"] = $"type-{random.Next(5)}",
                    ["timestamp"] = start.AddMinutes(random.Next(0, 60 * 24 * 10)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                    ["properties"] = new JsonObject { ["batch"] = batch, ["i"] = i, ["text"] = i % 7 == 0 ? "comma, \"quote\"\nnewline" : "plain" },
                };
                switch (random.Next(3))
                {
                    case 0: e["status"] = "success"; break;
                    case 1: e["status"] = "failure"; break;
                }
                if (random.Next(4) != 0) e["user_id"] = $"user-{random.Next(20)}";
                if (random.Next(3) != 0) e["session_id"] = $"session-{random.Next(50)}";
                if (random.Next(3) != 0) e["environment"] = random.Next(2) == 0 ? "production" : "staging";
                if (random.Next(2) == 0) e["duration_ms"] = Math.Round(random.NextDouble() * 1000, 3);
                events.Add(e);
            }
            (await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = events })).EnsureSuccessStatusCode();
        }

        await using var command = Cluster.Database.CreateCommand(
            "SELECT event_id, seq, type, status, user_id, session_id, environment, occurred_at, duration_ms, properties::text FROM events WHERE tenant_id = @t");
        command.Parameters.AddWithValue("t", TenantId);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Events.Add(new SeededEvent(reader.GetGuid(0), reader.GetInt64(1), reader.GetString(2), Nullable(reader, 3), Nullable(reader, 4), Nullable(reader, 5), Nullable(reader, 6),
                new DateTimeOffset(reader.GetDateTime(7), TimeSpan.Zero), reader.IsDBNull(8) ? null : reader.GetDouble(8), reader.GetString(9)));
        }
        Events.Sort((a, b) => a.Timestamp != b.Timestamp ? b.Timestamp.CompareTo(a.Timestamp) : b.Seq.CompareTo(a.Seq));
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }

    private static string? Nullable(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
}

[CollectionDefinition(Name)]
public sealed class QueryCluster : ICollectionFixture<QueryFixture>
{
    public const string Name = "query";
}
