using System.Text.RegularExpressions;
using Npgsql;

namespace Telemetry.Storage;

/// <summary>Tenants and their API keys in PostgreSQL.</summary>
public sealed partial class ApiKeyStore(NpgsqlDataSource dataSource)
{
    internal const string InsertTenantSql = "INSERT INTO tenants (tenant_id) VALUES (@tenant) ON CONFLICT DO NOTHING";

    internal const string InsertKeySql = """
        INSERT INTO api_keys (key_id, tenant_id, name, secret_hash, scopes)
        VALUES (@key_id, @tenant, @name, @hash, @scopes)
        """;

    internal const string ListKeysSql = """
        SELECT key_id, name, secret_hash, scopes, created_at, revoked_at FROM api_keys WHERE tenant_id = @tenant ORDER BY created_at, key_id
        """;

    /// <summary>Revokes a key of the tenant, once: a revoked key keeps its first revocation time.</summary>
    internal const string RevokeKeySql = """
        UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = @tenant AND key_id = @key_id
        """;

    internal const string FindKeySql = """
        SELECT tenant_id, name, secret_hash, scopes, created_at, revoked_at FROM api_keys WHERE key_id = @key_id
        """;

    /// <summary>The ids of the keys created at or after @since, with when: what a gateway adds to the ids it knows.</summary>
    internal const string ListKeyIdsSinceSql = """
        SELECT key_id, created_at FROM api_keys WHERE created_at >= @since
        """;

    /// <summary>A key as stored: never the key itself.</summary>
    public sealed record KeyRecord(Guid KeyId, string TenantId, string Name, byte[] SecretHash, KeyScopes Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

    /// <summary>A key just created: the only moment the key itself is known.</summary>
    public sealed record CreatedKey(string TenantId, Guid KeyId, string Key, KeyScopes Scopes)
    {
        public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    }

    /// <summary>Tenant ids are short, lower-case and URL-safe: 1 to 63 of a-z, 0-9, '-', '_', starting with a letter or digit.</summary>
    public static bool IsValidTenantId(string? tenantId) => tenantId is not null && TenantIdPattern().IsMatch(tenantId);

    /// <summary>Creates the tenant with a first key of every scope; null when the tenant already exists.</summary>
    public async Task<CreatedKey?> CreateTenantAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        if (!IsValidTenantId(tenantId))
        {
            throw new ArgumentException("A tenant id is 1 to 63 of a-z, 0-9, '-' and '_', starting with a letter or digit.", nameof(tenantId));
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insertTenant = new NpgsqlCommand(InsertTenantSql, connection, transaction))
        {
            insertTenant.Parameters.AddWithValue("tenant", tenantId);
            if (await insertTenant.ExecuteNonQueryAsync(cancellationToken) == 0) return null;
        }
        var created = await InsertKeyAsync(connection, transaction, tenantId, "admin", KeyScopes.All, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    /// <summary>Creates a key for an existing tenant.</summary>
    public async Task<CreatedKey> CreateKeyAsync(string tenantId, string name, KeyScopes scopes, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await InsertKeyAsync(connection, null, tenantId, name, scopes, cancellationToken);
    }

    /// <summary>The stored key with this id, revoked or not; null when there is none.</summary>
    public async Task<KeyRecord?> FindAsync(Guid keyId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(FindKeySql);
        command.Parameters.AddWithValue("key_id", keyId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        var scopes = Scopes(reader.GetFieldValue<string[]>(3));
        return new KeyRecord(
            keyId,
            reader.GetString(0),
            reader.GetString(1),
            reader.GetFieldValue<byte[]>(2),
            scopes,
            new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero),
            reader.IsDBNull(5) ? null : new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero));
    }

    /// <summary>
    /// The ids of every key created at or after <paramref name="since"/> (all of them when null), revoked ones included,
    /// and the newest creation time among them (null when there are none).
    /// </summary>
    public async Task<(List<Guid> KeyIds, DateTimeOffset? Newest)> ListKeyIdsSinceAsync(DateTimeOffset? since, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ListKeyIdsSinceSql);
        command.Parameters.AddWithValue("since", since?.UtcDateTime ?? DateTime.MinValue.ToUniversalTime());
        var ids = new List<Guid>();
        DateTimeOffset? newest = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
            var created = new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero);
            if (newest is null || created > newest) newest = created;
        }
        return (ids, newest);
    }

    /// <summary>The tenant's keys, revoked ones included, oldest first.</summary>
    public async Task<List<KeyRecord>> ListAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ListKeysSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        var keys = new List<KeyRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new KeyRecord(
                reader.GetGuid(0), tenantId, reader.GetString(1), reader.GetFieldValue<byte[]>(2), Scopes(reader.GetFieldValue<string[]>(3)),
                new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero),
                reader.IsDBNull(5) ? null : new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero)));
        }
        return keys;
    }

    /// <summary>Revokes one of the tenant's keys; false when the tenant has no such key.</summary>
    public async Task<bool> RevokeAsync(string tenantId, Guid keyId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(RevokeKeySql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("key_id", keyId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static KeyScopes Scopes(string[] names)
    {
        var scopes = KeyScopes.None;
        foreach (var name in names)
        {
            if (ApiKeyFormat.TryParseScope(name, out var scope)) scopes |= scope;
        }
        return scopes;
    }

    private static async Task<CreatedKey> InsertKeyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string tenantId, string name, KeyScopes scopes, CancellationToken cancellationToken)
    {
        var (keyId, key, hash) = ApiKeyFormat.Generate();
        await using var command = new NpgsqlCommand(InsertKeySql, connection, transaction);
        command.Parameters.AddWithValue("key_id", keyId);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("scopes", ApiKeyFormat.ScopeNames(scopes));
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new CreatedKey(tenantId, keyId, key, scopes);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex TenantIdPattern();
}
