namespace Telemetry.Tests.Infrastructure;

/// <summary>Waits for a condition that the system reaches asynchronously, failing with the last reason.</summary>
public static class Eventually
{
    /// <summary>Retries <paramref name="check"/> until it returns null (success) or the time is up; then fails with its last answer.</summary>
    public static async Task HoldsAsync(Func<Task<string?>> check, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        string? problem;
        while (true)
        {
            problem = await check();
            if (problem is null) return;
            if (DateTime.UtcNow > deadline) break;
            await Task.Delay(250);
        }
        Assert.Fail(problem);
    }
}
