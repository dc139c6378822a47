namespace Telemetry.Grains;

/// <summary>PostgreSQL could not take the write; nothing of the call was stored and it may be retried.</summary>
[GenerateSerializer, Alias("telemetry.storage-unavailable")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException() { }

    public StorageUnavailableException(string message) : base(message) { }

    public StorageUnavailableException(string message, Exception inner) : base(message, inner) { }
}
