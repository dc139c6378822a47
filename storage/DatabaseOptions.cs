namespace Telemetry.Storage;

/// <summary>Where PostgreSQL is: <c>TELEMETRY_DB</c>, an Npgsql connection string.</summary>
public sealed class DatabaseOptions
{
    public const string ConfigurationKey = "TELEMETRY_DB";

    public string ConnectionString { get; set; } = "";
}
