using Npgsql;

namespace Telemetry.Storage;

/// <summary>The settings a tenant chooses for itself (columns of <c>tenants</c>).</summary>
public sealed class TenantSettingsStore(NpgsqlDataSource dataSource)
{
    internal const string ReadSql = "SELECT keep_rate_limited FROM tenants WHERE tenant_id = @tenant";

    /// <summary>A null leaves its setting as it is.</summary>
    internal const string UpdateSql = """
        UPDATE tenants SET keep_rate_limited = coalesce(@keep_rate_limited, keep_rate_limited)
        WHERE tenant_id = @tenant
        RETURNING keep_rate_limited
        """;

    /// <summary>A tenant's settings.</summary>
    public sealed record TenantSettings(bool KeepRateLimited);

    public async Task<TenantSettings?> ReadAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ReadSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        return await command.ExecuteScalarAsync(cancellationToken) is bool keep ? new TenantSettings(keep) : null;
    }

    public async Task<TenantSettings?> UpdateAsync(string tenantId, bool? keepRateLimited, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(UpdateSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.Add(new NpgsqlParameter<bool?>("keep_rate_limited", NpgsqlTypes.NpgsqlDbType.Boolean) { TypedValue = keepRateLimited });
        return await command.ExecuteScalarAsync(cancellationToken) is bool keep ? new TenantSettings(keep) : null;
    }
}
