using Microsoft.Extensions.Logging;

namespace Telemetry.Tests.Infrastructure;

/// <summary>Keeps every log line written, with its scopes' values and exception text, to search in a test.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly StringBuilder _text = new();
    private IExternalScopeProvider? _scopes;

    public string Text
    {
        get
        {
            lock (_text) return _text.ToString();
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        lock (_text) _text.AppendLine(line);
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values) line.Append(' ').Append(key).Append('=').Append(value);
            }
            provider._scopes?.ForEachScope((scope, builder) => builder.Append(" scope=").Append(scope), line);
            provider.Write(line.ToString());
        }
    }
}
