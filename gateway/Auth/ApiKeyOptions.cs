using System.ComponentModel.DataAnnotations;

namespace Telemetry.Gateway.Auth;

/// <summary>How the gateway checks API keys (configuration section <c>Auth</c>).</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// How long a looked-up key, or the answer that an id is no key, is trusted before PostgreSQL is asked again
    /// (default 500 ms): the most time a revoked key keeps working on a gateway.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Most key ids remembered at once (default 100,000).</summary>
    [Range(1, int.MaxValue)]
    public int CacheSize { get; set; } = 100_000;

    /// <summary>
    /// How often the gateway reads the ids of keys created since its last read (default 1 s). An id it does not know
    /// is answered 401 without asking PostgreSQL (within <see cref="UnknownKeyLookupsPerSecond"/>), so this is how long
    /// a key made on another gateway or by the command-line tool may wait, under a flood of made-up keys, to work here.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan KnownKeysRefresh { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Look-ups a second, for the whole gateway, of key ids it does not know (default 100; 0: none). They let a key created
    /// elsewhere a moment ago work before the next refresh; up to a second's worth more wait their turn, and past that
    /// such ids are refused without a look-up. 100 primary-key look-ups a second are nothing to PostgreSQL.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int UnknownKeyLookupsPerSecond { get; set; } = 100;

    /// <summary>
    /// How often the keys of open streams (<c>/v1/stream</c>, gRPC <c>StreamEvents</c>) are checked again (default
    /// 250 ms); a stream whose key was revoked ends at the check after its cached look-up expires.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RevocationCheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
