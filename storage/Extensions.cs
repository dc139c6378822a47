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
        services.AddSingleton<TenantRollupStore>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<EventPartitionStore>();
        services.AddSingleton<EventQueryStore>();
        return services;
    }

    /// <summary>Statements a connection keeps prepared when the connection string does not say (<c>Max Auto Prepare</c>).</summary>
    public const int DefaultMaxAutoPrepare = 64;

    public static NpgsqlDataSource CreateDataSource(string connectionString, ILoggerFactory? loggerFactory = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // The hot statements (the group commit above all) are the same text every time: prepared, they
        // skip parsing and planning on every run. A pooler without prepared statements (PgBouncer before
        // 1.21, or max_prepared_statements = 0) needs "Max Auto Prepare=0" in the connection string.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare")) builder.ConnectionStringBuilder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        if (loggerFactory is not null) builder.UseLoggerFactory(loggerFactory);
        return builder.Build();
    }
}
