namespace Telemetry.Tests.Infrastructure;

/// <summary>Tests that measure the whole test process (its heap, its meters) run after the others, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "measured alone";
}
