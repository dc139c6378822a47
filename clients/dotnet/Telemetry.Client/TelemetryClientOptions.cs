namespace Telemetry.Client;

/// <summary>Where a <see cref="TelemetryClient"/> sends and how it batches and retries (configuration section <c>Telemetry</c> by convention).</summary>
public sealed class TelemetryClientOptions
{
    /// <summary>The gateway's base address, e.g. <c>https://telemetry.example.com/</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>A key with the <c>ingest</c> scope.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Events queued that make a batch go at once (default 20).</summary>
    public int FlushAt { get; set; } = 20;

    /// <summary>Longest an event waits in the queue (default 10 s).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Events held at most; past it the oldest is dropped, counted and logged (default 1,000).</summary>
    public int MaxQueueSize { get; set; } = 1_000;

    /// <summary>Most events in one request (default 1,000, the server's most); a batch the server finds too large is split.</summary>
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>Retries of a batch after a network error, a timeout, 408, 429 or 5xx before it is reported failed (default 10).</summary>
    public int MaxRetries { get; set; } = 10;

    /// <summary>Wait before the first retry (default 0.5 s); it doubles each time, with jitter, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between two attempts (default 30 s); a longer <c>Retry-After</c> is honoured up to 5 minutes.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for the server's answer to one request (default 10 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest a shutdown waits for the queue to be delivered (default 30 s); what is left is reported failed.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Compress request bodies with gzip (default true; the gateway takes <c>Content-Encoding: gzip</c>).</summary>
    public bool Gzip { get; set; } = true;

    /// <summary>Called for each event the server refused (422), on the client's sending task.</summary>
    public Action<TelemetryRejection>? OnRejected { get; set; }

    /// <summary>Called for events that could not be delivered, on the client's sending task.</summary>
    public Action<TelemetryDeliveryFailure>? OnFailed { get; set; }

    /// <summary>The HTTP handler to send through (default: a pooled <see cref="SocketsHttpHandler"/>); for proxies and tests.</summary>
    public HttpMessageHandler? Handler { get; set; }

    internal void Validate()
    {
        if (Endpoint is null || !Endpoint.IsAbsoluteUri) throw new ArgumentException("Telemetry: Endpoint must be an absolute URI of the gateway.", nameof(Endpoint));
        if (string.IsNullOrWhiteSpace(ApiKey)) throw new ArgumentException("Telemetry: ApiKey must be a key with the ingest scope.", nameof(ApiKey));
        if (FlushAt is < 1 or > 1_000) throw new ArgumentOutOfRangeException(nameof(FlushAt), FlushAt, "1 to 1,000");
        if (MaxBatchSize is < 1 or > 1_000) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "1 to 1,000");
        if (MaxQueueSize < 1) throw new ArgumentOutOfRangeException(nameof(MaxQueueSize), MaxQueueSize, "at least 1");
        if (MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "0 or more");
        if (FlushInterval <= TimeSpan.Zero || RetryBaseDelay <= TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay || RequestTimeout <= TimeSpan.Zero || ShutdownTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException("Telemetry: FlushInterval, RetryBaseDelay and RequestTimeout must be positive, RetryMaxDelay at least RetryBaseDelay.");
        }
    }
}
