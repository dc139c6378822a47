using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Telemetry.Tests.Gateway;
using Telemetry.Tests.Live;

namespace Telemetry.Tests.Security;

/// <summary>
/// Made-up API keys cost PostgreSQL next to nothing: the gateway knows which key ids exist, and looks up the others
/// only at a small rate; a key created through the gateway works at once, one created elsewhere within the refresh.
/// </summary>
public sealed partial class UnknownKeyFloodTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    private const int MadeUpKeys = 300;

    [Fact]
    public async Task A_flood_of_made_up_key_ids_costs_almost_no_look_ups_and_new_keys_still_work()
    {
        var logs = new CapturingLoggerProvider();
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["Auth:UnknownKeyLookupsPerSecond"] = "5",
        }, services => services
            .AddSingleton<ILoggerProvider>(logs)
            // Npgsql logs every command it ran: the look-ups of api_keys are counted from there, in this capture only.
            .AddLogging(logging => logging.AddFilter<CapturingLoggerProvider>("Npgsql.Command", LogLevel.Information)));
        var (tenant, admin, owner) = await NewTenantAsync("flooded", gateway);
        // The tenant's own key works from the start (made in the database a moment ago, as the command-line tool does).
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync(new Uri("v1/keys", UriKind.Relative))).StatusCode);
        var before = Lookups(logs);
        Assert.True(before >= 1, "the look-up of the new admin key was seen in the logs:\n" + logs.Text[..Math.Min(2000, logs.Text.Length)]);

        var clock = Stopwatch.StartNew();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(Enumerable.Range(0, MadeUpKeys), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, token) =>
        {
            using var attacker = gateway.CreateClient(MadeUpKey());
            using var response = await attacker.GetAsync(new Uri("v1/events", UriKind.Relative), token);
            statuses.Add(response.StatusCode);
        });
        var flood = clock.Elapsed;
        var lookups = Lookups(logs) - before;
        output.WriteLine($"{MadeUpKeys} made-up keys in {flood.TotalMilliseconds:F0} ms cost {lookups} look-ups of api_keys");
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.True(lookups <= 5 + 5 * (int)Math.Ceiling(flood.TotalSeconds) + 2, $"{lookups} look-ups for {MadeUpKeys} made-up keys in {flood}");

        // Right after the flood (the unknown-id budget spent): a key created through this gateway works at once...
        var (_, created) = await RevocationEndsStreamsTests.CreateKeyAsync(owner, "fresh", "ingest");
        using (var fresh = gateway.CreateClient(created))
        {
            Assert.Equal(HttpStatusCode.Created, (await fresh.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json("""{"type": "a"}"""))).StatusCode);
        }
        // ...and one created elsewhere (another gateway, the command-line tool) works within the refresh of known ids.
        var elsewhere = await Cluster.Keys.CreateKeyAsync(tenant, "elsewhere", KeyScopes.Read);
        using var other = gateway.CreateClient(elsewhere.Key);
        var waited = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await other.GetAsync(new Uri("v1/events", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK ? null : $"{(int)response.StatusCode}";
        }, TimeSpan.FromSeconds(3));
        output.WriteLine($"a key made in the database worked after {waited.ElapsedMilliseconds} ms");
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(2));
    }

    /// <summary>A key of the right shape whose id no key has.</summary>
    private static string MadeUpKey() =>
        $"{ApiKeyFormat.Prefix}{Guid.NewGuid():N}_{System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}";

    private static int Lookups(CapturingLoggerProvider logs) => FindKeyCompleted().Count(logs.Text);

    /// <summary>Npgsql's line for a finished command, of the key look-up's SQL.</summary>
    [GeneratedRegex(@"Command execution completed[^\n]*FROM api_keys WHERE key_id")]
    private static partial Regex FindKeyCompleted();
}
