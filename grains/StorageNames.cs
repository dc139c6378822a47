namespace Telemetry.Grains;

/// <summary>The names of the grain storage providers the silo registers.</summary>
public static class StorageNames
{
    /// <summary>ADO.NET grain storage on PostgreSQL.</summary>
    public const string Grains = "telemetry";
}
