using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Telemetry.Storage;

/// <summary>Registers the PostgreSQL data source and the stores built on it.</summary>
public static class Extensions
{
    public static IServiceCollection AddTelemetryStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>()
            .Bind(configuration.GetSection(DatabaseOptions.Section))
            .Configure(o => o.ConnectionString = configuration[DatabaseOptions.ConfigurationKey] ?? "")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), $"{DatabaseOptions.ConfigurationKey} is not set: give an Npgsql connection string.")
            .Validate(o => o.QueryTimeout > TimeSpan.Zero && o.ExportTimeout > TimeSpan.Zero && o.PartitionLockTimeout > TimeSpan.Zero,
                $"{DatabaseOptions.Section}:QueryTimeout, ExportTimeout and PartitionLockTimeout must be positive.")
            .ValidateOnStart();
        services.AddSingleton(sp => CreateDataSource(
            sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString,
            sp.GetService<ILoggerFactory>()));
        services.AddSingleton<EventBatchWriter>();
        services.AddSingleton<EventLogReader>();
        services.AddSingleton<EventLogHeadStore>();
        services.AddSingleton<TenantRollupStore>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<EventPartitionStore>();
        services.AddSingleton<EventQueryStore>();
        services.AddSingleton<AlertRuleStore>();
        services.AddSingleton<AlertDeliveryStore>();
        services.AddSingleton<UsageStore>();
        services.AddSingleton<RejectedEventStore>();
        services.AddSingleton<UserErasureStore>();
        services.AddSingleton<TenantSettingsStore>();
        return services;
    }

    public static NpgsqlDataSource CreateDataSource(string connectionString, ILoggerFactory? loggerFactory = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (loggerFactory is not null) builder.UseLoggerFactory(loggerFactory);
        return builder.Build();
    }
}
