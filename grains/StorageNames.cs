namespace Telemetry.Grains;

/// <summary>The names of the grain storage providers the silo registers.</summary>
public static class StorageNames
{
    /// <summary>ADO.NET grain storage on PostgreSQL, for the grains of tenants (few, and on the path of an ingest's answer).</summary>
    public const string Grains = "telemetry";

    /// <summary>
    /// The same storage for users' grains, through a queue per silo: thousands of them activate together
    /// after a silo dies, and their state reads must neither exhaust the pool nor delay the tenants' grains.
    /// </summary>
    public const string UserGrains = "telemetry-users";
}
