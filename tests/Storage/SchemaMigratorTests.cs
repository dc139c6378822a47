using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Telemetry.Tests.Storage;

/// <summary><c>db migrate</c>: versioned, safe to run twice and at once, and the queries Orleans reads are there.</summary>
public sealed class SchemaMigratorTests
{
    [Fact]
    public async Task Migrating_a_fresh_database_applies_every_script_once_even_when_two_run_at_the_same_time()
    {
        var postgres = await SharedPostgres.GetAsync();
        var name = "migrate_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = NpgsqlDataSource.Create(postgres.ConnectionString))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {name}"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var connection = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = name }.ConnectionString;
        await using var database = NpgsqlDataSource.Create(connection);
        var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync()));
        Assert.Equal(SchemaMigrator.Scripts.Select(s => s.Version), runs.SelectMany(r => r).Order());
        Assert.Empty(await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync());

        var truth = new SqlTruth(database);
        Assert.Equal(SchemaMigrator.Scripts.Count, await truth.CountAsync("SELECT count(*) FROM schema_migrations"));
        foreach (var key in new[]
        {
            "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
            "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
            "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
            "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
        })
        {
            Assert.Equal(1, await truth.CountAsync("SELECT count(*) FROM OrleansQuery WHERE QueryKey = @k", ("k", key)));
        }
    }

    [Fact]
    public void Scripts_are_numbered_without_gaps()
    {
        Assert.Equal(Enumerable.Range(1, SchemaMigrator.Scripts.Count), SchemaMigrator.Scripts.Select(s => s.Version));
    }
}
