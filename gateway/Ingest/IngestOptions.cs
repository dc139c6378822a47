namespace Telemetry.Gateway.Ingest;

/// <summary>Limits of the ingest endpoints (configuration section <c>Ingest</c>).</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Largest request body, after decompression (default 1 MiB).</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Most events in one batch request (default 1000).</summary>
    public int MaxBatchEvents { get; set; } = 1000;

    /// <summary>Deepest JSON nesting a body may have (default 64).</summary>
    public int MaxJsonDepth { get; set; } = 64;
}
