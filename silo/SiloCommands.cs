using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Telemetry.Storage;

namespace Telemetry.Silo;

/// <summary>The operator's commands that talk to PostgreSQL directly: <c>db migrate</c> and <c>tenant create</c>.</summary>
public static class SiloCommands
{
    public const string Usage = """
        usage: Telemetry.Silo                      run a silo
               Telemetry.Silo db migrate           apply the schema to TELEMETRY_DB (safe to run twice)
               Telemetry.Silo tenant create <id>   create a tenant and print its first key (all scopes) as JSON
        """;

    /// <summary>Runs the command in <paramref name="args"/>; null when the arguments ask for a silo instead.</summary>
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length == 0) return null;
        if (args is ["--help" or "-h" or "help"])
        {
            Console.WriteLine(Usage);
            return 0;
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args.Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToArray()).Build();
        if (string.IsNullOrWhiteSpace(configuration[DatabaseOptions.ConfigurationKey]))
        {
            await Console.Error.WriteLineAsync($"{DatabaseOptions.ConfigurationKey} is not set: give an Npgsql connection string.");
            return 2;
        }

        var services = new ServiceCollection()
            .AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
            .AddTelemetryStorage(configuration)
            .BuildServiceProvider();
        await using var _ = services;
        switch (args)
        {
            case ["db", "migrate", ..]:
                var applied = await services.GetRequiredService<SchemaMigrator>().MigrateAsync();
                Console.WriteLine(applied.Count == 0
                    ? "schema is up to date"
                    : $"applied schema versions {string.Join(", ", applied)}");
                return 0;

            case ["tenant", "create", var tenantId, ..]:
                if (!ApiKeyStore.IsValidTenantId(tenantId))
                {
                    await Console.Error.WriteLineAsync($"'{tenantId}' is not a tenant id: use 1 to 63 of a-z, 0-9, '-' and '_', starting with a letter or digit.");
                    return 2;
                }
                var created = await services.GetRequiredService<ApiKeyStore>().CreateTenantAsync(tenantId);
                if (created is null)
                {
                    await Console.Error.WriteLineAsync($"tenant '{tenantId}' already exists");
                    return 1;
                }
                Console.WriteLine(JsonSerializer.Serialize(new CreatedTenantLine(created.TenantId, created.KeyId.ToString(), created.Key, ApiKeyFormat.ScopeNames(created.Scopes)), CommandJson.Default.CreatedTenantLine));
                return 0;

            default:
                await Console.Error.WriteLineAsync(Usage);
                return 2;
        }
    }
}

/// <summary>The line <c>tenant create</c> prints.</summary>
public sealed record CreatedTenantLine(string Tenant, string KeyId, string Key, string[] Scopes);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(CreatedTenantLine))]
internal sealed partial class CommandJson : System.Text.Json.Serialization.JsonSerializerContext;
