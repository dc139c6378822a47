using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Telemetry.Client.Logging;

/// <summary>An <see cref="ILoggerProvider"/> whose entries become events sent by the app's <see cref="TelemetryClient"/>.</summary>
[ProviderAlias("Telemetry")]
public sealed class TelemetryLoggerProvider(IServiceProvider services, IOptionsMonitor<TelemetryLoggerOptions> options) : ILoggerProvider, ISupportExternalScope
{
    // Resolved at the first entry, not in the constructor: the client itself logs through the logger factory that holds
    // this provider, and its own entries are never sent (they would feed on themselves).
    private readonly Lazy<TelemetryClient> _client = new(services.GetRequiredService<TelemetryClient>);
    private IExternalScopeProvider? _scopes;

    internal TelemetryClient Client => _client.Value;

    internal TelemetryLoggerOptions Options => options.CurrentValue;

    internal IExternalScopeProvider? Scopes => _scopes;

    public ILogger CreateLogger(string categoryName) => new TelemetryLogger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
        // The client belongs to the container and is delivered by the host's stop.
    }
}
