namespace Telemetry.Gateway.Core;

/// <summary>One reason a request or an event was refused: the field, and what it must be.</summary>
public sealed record FieldError(string Field, string Message);
