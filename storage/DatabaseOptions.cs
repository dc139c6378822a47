namespace Telemetry.Storage;

/// <summary>
/// Where PostgreSQL is (<c>TELEMETRY_DB</c>, an Npgsql connection string) and how long reads and partition DDL may take
/// (configuration section <c>Database</c>).
/// </summary>
public sealed class DatabaseOptions
{
    public const string ConfigurationKey = "TELEMETRY_DB";

    public const string Section = "Database";

    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// Longest a query for a page, one event or an offset page (with its count) may run in PostgreSQL (default 30 s).
    /// Past it the statement is cancelled and its pooled connection given back: a heavy filter cannot hold connections.
    /// </summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest an export's statement may run (default 10 min: about 180 million rows at the measured 300,000 rows/s).
    /// A slow reader keeps the statement running, so this also bounds how long an export holds its connection.
    /// </summary>
    public TimeSpan ExportTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Longest partition DDL (making a week's partition, dropping old ones) waits for a lock (default 5 s). DDL on a
    /// partition waits behind running reads, and while it waits every later statement on <c>events</c> queues behind it:
    /// giving up and retrying at the next maintenance round keeps ingest and reads flowing.
    /// </summary>
    public TimeSpan PartitionLockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the group commit's statement is prepared on each pooled connection (default true: it then skips
    /// parsing and planning). Set false behind a pooler in transaction mode without prepared statements
    /// (PgBouncer before 1.21, or its max_prepared_statements at 0).
    /// </summary>
    public bool PrepareStatements { get; set; } = true;

    /// <summary>A timeout as PostgreSQL's settings take it: whole milliseconds, at least 1 (0 would turn the timeout off).</summary>
    public static string Milliseconds(TimeSpan timeout) =>
        Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
