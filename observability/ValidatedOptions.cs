using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Telemetry.Observability;

/// <summary>How silo and gateway read every options class: bound from its section, its ranges checked at start.</summary>
public static class ValidatedOptions
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to <paramref name="section"/> and checks its data annotations when the host starts,
    /// so that a mistyped setting stops the start with its name instead of misbehaving later.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] T>(
        this IServiceCollection services, IConfigurationSection section)
        where T : class =>
        services.AddOptions<T>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
}
