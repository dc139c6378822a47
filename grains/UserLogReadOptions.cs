using System.ComponentModel.DataAnnotations;

namespace Telemetry.Grains;

/// <summary>How users' metrics grains read their logs when they activate (configuration section <c>UserLogReads</c>).</summary>
public sealed class UserLogReadOptions
{
    public const string Section = "UserLogReads";

    /// <summary>
    /// Statements reading users' logs at once in one process (default 2). Activations past them wait in a queue
    /// (for as long as it takes, never a pool timeout) and go together in the next statement, so a storm of
    /// activations (a silo's users moving after it died, a batch naming a thousand new users) holds at most
    /// this many pooled connections.
    /// </summary>
    [Range(1, 1024)]
    public int MaxConcurrentReads { get; set; } = 2;

    /// <summary>Most users' logs read in one statement (default 200).</summary>
    [Range(1, 100_000)]
    public int MaxUsersPerRead { get; set; } = 200;
}
