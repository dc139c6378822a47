namespace Telemetry.Tests.Infrastructure;

/// <summary>Makes varied, valid native events for load: types, statuses, users, durations and times.</summary>
public sealed class EventFactory(int seed)
{
    private readonly Random _random = new(seed);

    public static readonly string[] Types = ["tutor_query", "hint_shown", "lesson_started", "quiz_submitted", "login", "ünïcödé ✓"];

    /// <summary>An event with a fresh id, spread over the past 40 days with a third in the last quarter hour.</summary>
    public JsonObject Next(IReadOnlyList<string> users, DateTimeOffset now)
    {
        var e = new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["type"] = Types[_random.Next(Types.Length)],
        };
        switch (_random.Next(3))
        {
            case 0: e["status"] = _random.Next(2) == 0 ? "success" : "FAILURE"; break;
            case 1: e["status"] = "Success"; break;
        }
        if (_random.Next(5) != 0) e["user_id"] = users[_random.Next(users.Count)];
        if (_random.Next(2) == 0) e["duration_ms"] = Math.Round(_random.NextDouble() * 5000, 3);
        var ago = _random.Next(4) switch
        {
            3 when _random.Next(5) == 0 => -TimeSpan.FromMinutes(_random.Next(1, 60 * 23)),
            0 => TimeSpan.FromSeconds(_random.Next(0, 900)),
            1 => TimeSpan.FromMinutes(_random.Next(0, 60 * 48)),
            _ => TimeSpan.FromMinutes(_random.Next(0, 60 * 24 * 40)),
        };
        e["timestamp"] = (now - ago).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
        e["properties"] = new JsonObject { ["n"] = _random.Next(), ["tags"] = new JsonArray("a", "b") };
        return e;
    }
}
