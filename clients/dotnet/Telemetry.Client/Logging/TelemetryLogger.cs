using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Telemetry.Client.Logging;

/// <summary>One category's logger: an entry becomes an event of <see cref="TelemetryLoggerOptions.EventType"/>, queued, never waited for.</summary>
internal sealed class TelemetryLogger(string category, TelemetryLoggerProvider provider) : ILogger
{
    private const int MaxTextLength = 8_192;
    private const string OriginalFormat = "{OriginalFormat}";

    /// <summary>The client's own entries: sending them would make more of them.</summary>
    private readonly bool _isOwn = category.StartsWith("Telemetry.Client", StringComparison.Ordinal);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider.Scopes?.Push(state);

    public bool IsEnabled(LogLevel logLevel) => !_isOwn && logLevel != LogLevel.None && logLevel >= provider.Options.MinLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var options = provider.Options;
        var properties = new JsonObject
        {
            ["category"] = category,
            ["level"] = logLevel.ToString(),
            ["message"] = Cut(formatter(state, exception)),
        };
        if (eventId.Id != 0) properties["event_id"] = eventId.Id;
        if (eventId.Name is { } name) properties["event_name"] = name;
        if (exception is not null) properties["exception"] = Cut(exception.ToString());
        if (Activity.Current is { } activity)
        {
            properties["trace_id"] = activity.TraceId.ToString();
            properties["span_id"] = activity.SpanId.ToString();
        }
        if (state is IEnumerable<KeyValuePair<string, object?>> fields)
        {
            foreach (var (key, value) in fields)
            {
                if (key == OriginalFormat) properties["template"] = value?.ToString();
                else if (!properties.ContainsKey(key)) properties[key] = Value(value);
            }
        }
        if (options.IncludeScopes && provider.Scopes is { } scopes)
        {
            var list = new JsonArray();
            scopes.ForEachScope(static (scope, list) => list.Add(Scope(scope)), list);
            if (list.Count > 0) properties["scopes"] = list;
        }

        provider.Client.Enqueue(new TelemetryEvent
        {
            Type = options.EventType,
            // Errors are failures; below that a log entry says nothing of success.
            Status = logLevel >= LogLevel.Error ? EventStatus.Failure : null,
            Environment = options.Environment,
            Properties = properties,
        });
    }

    private static JsonNode? Scope(object? scope) => scope switch
    {
        IEnumerable<KeyValuePair<string, object?>> pairs => new JsonObject(pairs.Where(p => p.Key != OriginalFormat).Select(p => KeyValuePair.Create(p.Key, Value(p.Value)))),
        _ => Value(scope),
    };

    /// <summary>Numbers and booleans stay so; anything else is its text.</summary>
    private static JsonNode? Value(object? value) => value switch
    {
        null => null,
        bool b => JsonValue.Create(b),
        int or long or short or byte or uint or ushort or sbyte => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        double d when double.IsFinite(d) => JsonValue.Create(d),
        float f when float.IsFinite(f) => JsonValue.Create((double)f),
        decimal m => JsonValue.Create(m),
        IFormattable formattable => Cut(formattable.ToString(null, CultureInfo.InvariantCulture)),
        _ => Cut(value.ToString() ?? ""),
    };

    private static string Cut(string text) => text.Length <= MaxTextLength ? text : text[..MaxTextLength];
}
