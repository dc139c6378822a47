using System.ComponentModel.DataAnnotations;

namespace Telemetry.Silo;

/// <summary>How a silo reaches grain state in PostgreSQL (configuration section <c>GrainStorage</c>).</summary>
public sealed class GrainStorageOptions
{
    public const string Section = "GrainStorage";

    /// <summary>
    /// Reads and writes of grain state at once in one silo (default 16); the others queue. Each holds a connection
    /// of the Orleans pool, which clustering shares: keep this well under its <c>Maximum Pool Size</c>.
    /// </summary>
    [Range(1, 1024)]
    public int MaxConcurrentOperations { get; set; } = 16;
}
