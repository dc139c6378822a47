namespace Telemetry.Grains;

/// <summary>The event log's durable position: every event at or below it has reached every metrics grain.</summary>
[GenerateSerializer, Alias("telemetry.event-log-cursor")]
public sealed class EventLogCursor
{
    [Id(0)] public long DispatchedSeq { get; set; }
}
