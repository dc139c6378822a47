using System.Collections.Concurrent;

namespace Telemetry.Bench;

/// <summary>
/// The cluster at scale (issue 20): three silos and two gateways as processes, many tenants and users on
/// a skewed (Zipf) distribution, batch and single-event ingest; then <c>kill -9</c> of the silo with the
/// most activations. Reports the ingest rate before, during and after, the time until every sampled
/// tenant's metrics answer again, pool exhaustions, memory per user grain, and metrics against SQL.
/// </summary>
public sealed class ScaleRun(string root, string configuration, string connectionString, NpgsqlDataSource database, BenchReport report)
{
    private readonly int _tenants = Setting("BENCH_SCALE_TENANTS", 10_000);
    private readonly int _users = Setting("BENCH_SCALE_USERS", 1_000_000);
    private readonly TimeSpan _phase = TimeSpan.FromSeconds(Setting("BENCH_SCALE_SECONDS", 30));
    private const int BatchWriters = 24;
    private const int SingleWriters = 8;
    private const int SampledTenants = 200;

    public async Task RunAsync()
    {
        var cluster = "scale-" + Guid.NewGuid().ToString("N")[..8];
        Console.WriteLine(Invariant($"scale run: creating {_tenants:N0} tenants"));
        var keys = await CreateTenantsAsync();

        var connection = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 50 }.ConnectionString;
        var common = new Dictionary<string, string?>
        {
            [DatabaseOptions.ConfigurationKey] = connection,
            ["TELEMETRY_CLUSTER_ID"] = cluster,
            ["TELEMETRY_SERVICE_ID"] = cluster,
            ["TELEMETRY_ADVERTISED_IP"] = "127.0.0.1",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        string Dll(string project, string name) => Path.Combine(root, project, "bin", configuration, "net10.0", name);
        var silos = new List<(ChildProcess Process, Uri Http)>();
        var gateways = new List<(ChildProcess Process, Uri Http)>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var http = LoopbackPort.Free();
                var env = new Dictionary<string, string?>(common)
                {
                    ["TELEMETRY_SILO_PORT"] = LoopbackPort.FreeSetting(),
                    ["TELEMETRY_CLIENT_PORT"] = LoopbackPort.FreeSetting(),
                    ["TELEMETRY_SILO_HTTP_PORT"] = http.ToString(CultureInfo.InvariantCulture),
                };
                silos.Add((BenchProcess.Start($"silo-{i}", Dll("silo", "Telemetry.Silo.dll"), [], env), new Uri($"http://127.0.0.1:{http}/")));
            }
            for (var i = 0; i < 2; i++)
            {
                var http = LoopbackPort.Free();
                var env = new Dictionary<string, string?>(common)
                {
                    ["TELEMETRY_HTTP_PORT"] = http.ToString(CultureInfo.InvariantCulture),
                    ["TELEMETRY_GRPC_PORT"] = LoopbackPort.FreeSetting(),
                    ["TELEMETRY_METRICS_PORT"] = LoopbackPort.FreeSetting(),
                };
                gateways.Add((BenchProcess.Start($"gateway-{i}", Dll("gateway", "Telemetry.Gateway.dll"), [], env), new Uri($"http://127.0.0.1:{http}/")));
            }
            foreach (var (process, http) in silos) await BenchRun.WaitReadyAsync(http, process);
            foreach (var (process, http) in gateways) await BenchRun.WaitReadyAsync(http, process);
            await MeasureAsync(keys, silos, gateways);
        }
        finally
        {
            // The processes' last lines, for a run that needs explaining.
            if (Environment.GetEnvironmentVariable("BENCH_SCALE_LOGS") is { Length: > 0 } logs)
            {
                Directory.CreateDirectory(logs);
                foreach (var (process, _) in silos.Concat(gateways)) await File.WriteAllTextAsync(Path.Combine(logs, process.Name + ".log"), process.Output);
            }
            foreach (var (process, _) in gateways) await process.DisposeAsync();
            foreach (var (process, _) in silos) await process.DisposeAsync();
        }
    }

    private async Task MeasureAsync(string[] keys, List<(ChildProcess Process, Uri Http)> silos, List<(ChildProcess Process, Uri Http)> gateways)
    {
        var tenantOf = new ZipfSampler(_tenants, 1.0);
        var userOf = new ZipfSampler(_users, 1.0);
        var clients = gateways.Select(g => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = g.Http, Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        var acknowledged = new ConcurrentDictionary<int, long>();
        var perSecond = new ConcurrentDictionary<long, long>();
        var started = Stopwatch.StartNew();
        long failedAttempts = 0, givenUp = 0;
        using var stop = new CancellationTokenSource();

        async Task WriterAsync(int writer, bool batch)
        {
            var random = new Random(writer);
            var client = clients[writer % clients.Length];
            while (!stop.IsCancellationRequested)
            {
                var tenant = tenantOf.Next(random);
                var size = batch ? 100 : 1;
                var body = Body(random, userOf, size, batch);
                var done = false;
                for (var attempt = 0; attempt < 20 && !done; attempt++)
                {
                    try
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, batch ? "v1/events/batch" : "v1/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", keys[tenant]);
                        using var response = await client.SendAsync(request);
                        if (response.IsSuccessStatusCode)
                        {
                            done = true;
                            acknowledged.AddOrUpdate(tenant, size, (_, n) => n + size);
                            perSecond.AddOrUpdate((long)started.Elapsed.TotalSeconds, size, (_, n) => n + size);
                            break;
                        }
                    }
                    catch (HttpRequestException)
                    {
                    }
                    catch (TaskCanceledException)
                    {
                    }
                    Interlocked.Increment(ref failedAttempts);
                    await Task.Delay(200);
                }
                if (!done) Interlocked.Increment(ref givenUp);
            }
        }

        var restingBytes = silos.Select(s => ResidentBytes(s.Process.Id)).ToArray();
        Console.WriteLine(Invariant($"scale run: ingest from {BatchWriters} batch and {SingleWriters} single-event writers, {_phase.TotalSeconds:F0} s before the kill"));
        var writers = Enumerable.Range(0, BatchWriters).Select(w => Task.Run(() => WriterAsync(w, true)))
            .Concat(Enumerable.Range(BatchWriters, SingleWriters).Select(w => Task.Run(() => WriterAsync(w, false)))).ToArray();
        await Task.Delay(_phase);

        using var scraper = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var activations = new double[silos.Count];
        for (var i = 0; i < silos.Count; i++)
        {
            var scrape = await PrometheusScrape.GetAsync(scraper, new Uri(silos[i].Http, "metrics"));
            activations[i] = scrape.Sum("orleans_catalog_activations") ?? 0;
        }
        var victim = Array.IndexOf(activations, activations.Max());
        var killedAt = started.Elapsed;
        Console.WriteLine(Invariant($"scale run: kill -9 of silo-{victim} ({activations[victim]:N0} activations of {activations.Sum():N0})"));
        using (var kill = Process.Start("kill", $"-9 {silos[victim].Process.Id}")) await kill!.WaitForExitAsync();

        // Until every sampled tenant (the busiest and a random share) answers its metrics again.
        var sample = Enumerable.Range(0, SampledTenants / 2).Concat(Enumerable.Range(0, SampledTenants / 2).Select(i => (i * 7919) % _tenants)).Distinct().ToArray();
        TimeSpan? recovered = null;
        while (started.Elapsed - killedAt < TimeSpan.FromSeconds(120))
        {
            var answers = await Task.WhenAll(sample.Select(async tenant =>
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "v1/metrics/overview?window=all");
                    request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", keys[tenant]);
                    using var response = await clients[tenant % clients.Length].SendAsync(request);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            }));
            if (answers.All(a => a))
            {
                recovered = started.Elapsed - killedAt;
                break;
            }
            await Task.Delay(250);
        }
        var during = recovered ?? TimeSpan.FromSeconds(120);
        await Task.Delay(_phase);
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        var endedAt = started.Elapsed;

        double Rate(TimeSpan from, TimeSpan to)
        {
            var seconds = Math.Max(1, (long)to.TotalSeconds - (long)from.TotalSeconds);
            long events = 0;
            for (var s = (long)from.TotalSeconds; s < (long)to.TotalSeconds; s++) events += perSecond.GetValueOrDefault(s);
            return (double)events / seconds;
        }

        // Memory per user grain: the surviving silos' resident memory against their activations.
        long rss = 0;
        double live = 0;
        for (var i = 0; i < silos.Count; i++)
        {
            if (i == victim) continue;
            rss += ResidentBytes(silos[i].Process.Id) - restingBytes[i];
            var scrape = await PrometheusScrape.GetAsync(scraper, new Uri(silos[i].Http, "metrics"));
            live += scrape.Sum("orleans_catalog_activations") ?? 0;
        }

        var (lost, doubled, metricsDiffer) = await CheckAsync(keys, acknowledged, clients);
        var exhaustions = silos.Concat(gateways).Sum(p => p.Process.PoolExhaustions);
        var total = acknowledged.Values.Sum();
        report.Note(Invariant($"scale run: 3 silos and 2 gateways as processes, {_tenants:N0} tenants and {_users:N0} users (Zipf, s = 1), {BatchWriters} batch writers (100 a request) and {SingleWriters} single-event writers retrying with the same body: {total:N0} events acknowledged to {acknowledged.Count:N0} tenants"));
        report.Note(Invariant($"scale run, ingest: {Rate(TimeSpan.FromSeconds(5), killedAt):N0} events/s before the kill, {Rate(killedAt, killedAt + during):N0} until recovered, {Rate(killedAt + during, endedAt):N0} after; {failedAttempts:N0} attempts answered 5xx or failed and were retried, {givenUp:N0} given up after 20"));
        report.Note(Invariant($"scale run, kill -9 of the silo with the most activations ({activations[victim]:N0} of {activations.Sum():N0}): every one of {sample.Length} sampled tenants answered its metrics again after {(recovered is { } r ? $"{r.TotalSeconds:F1} s" : "more than 120 s")} (goal under 30 s: {(recovered is { } g && g < TimeSpan.FromSeconds(30) ? "met" : "not met")})"));
        report.Note(Invariant($"scale run, pool exhaustions logged by any process: {exhaustions}; acknowledged events missing from SQL: {lost}; stored twice: {doubled}; sampled tenants and users whose metrics differ from SQL: {metricsDiffer}"));
        report.Note(Invariant($"scale run, memory: the two surviving silos hold {live:N0} activations and grew by {rss / 1024.0 / 1024:N0} MiB of resident memory since before ingest: {(live > 0 ? rss / live * 100_000 / 1024 / 1024 : 0):N0} MiB per 100,000 activations (mostly users' grains; the survivors also took the dead silo's share)"));
        foreach (var client in clients) client.Dispose();
    }

    /// <summary>Acknowledged against stored per tenant, and for a sample metrics against SQL once the hand-offs settled.</summary>
    private async Task<(long Lost, long Doubled, int MetricsDiffer)> CheckAsync(string[] keys, ConcurrentDictionary<int, long> acknowledged, HttpClient[] clients)
    {
        var stored = new Dictionary<string, (long Rows, long Ids)>();
        await using (var command = database.CreateCommand("SELECT tenant_id, count(*), count(DISTINCT event_id) FROM events WHERE tenant_id LIKE 'scale-%' GROUP BY tenant_id"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) stored[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }
        // Every acknowledged event has its own id; a request given up on may have been stored unacknowledged.
        var lost = acknowledged.Sum(a => Math.Max(0, a.Value - stored.GetValueOrDefault(TenantId(a.Key)).Ids));
        var doubled = stored.Values.Sum(s => s.Rows - s.Ids);

        // Metrics follow within seconds of the last commit; a tenant whose overview differs after 30 s counts.
        var differ = 0;
        foreach (var tenant in acknowledged.Keys.OrderBy(t => t).Take(20))
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                await using var command = database.CreateCommand("SELECT count(*) FROM events WHERE tenant_id = @t");
                command.Parameters.AddWithValue("t", TenantId(tenant));
                var sql = (long)(await command.ExecuteScalarAsync())!;
                using var request = new HttpRequestMessage(HttpMethod.Get, "v1/metrics/overview?window=all");
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", keys[tenant]);
                using var response = await clients[0].SendAsync(request);
                var live = response.IsSuccessStatusCode ? System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("total").GetInt64() : -1;
                if (live == sql) break;
                if (DateTime.UtcNow > deadline)
                {
                    differ++;
                    break;
                }
                await Task.Delay(500);
            }
        }
        return (lost, doubled, differ);
    }

    private async Task<string[]> CreateTenantsAsync()
    {
        var keys = new string[_tenants];
        var store = new ApiKeyStore(database);
        await Parallel.ForEachAsync(Enumerable.Range(0, _tenants), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (t, token) =>
            keys[t] = (await store.CreateTenantAsync(TenantId(t), token))!.Key);
        return keys;
    }

    private static string TenantId(int tenant) => Invariant($"scale-{tenant:D5}");

    private static string Body(Random random, ZipfSampler users, int size, bool batch)
    {
        var events = new StringBuilder();
        for (var i = 0; i < size; i++)
        {
            if (i > 0) events.Append(',');
            var user = users.Next(random);
            events.Append(Invariant($$"""{"id":"{{Guid.CreateVersion7()}}","type":"{{Types[random.Next(Types.Length)]}}","status":"{{(random.Next(10) == 0 ? "failure" : "success")}}","user_id":"learner-{{user}}","duration_ms":{{random.Next(50, 5000)}}}"""));
        }
        return batch ? "{\"events\":[" + events + "]}" : events.ToString();
    }

    private static readonly string[] Types = ["lesson_started", "lesson_completed", "quiz_submitted", "hint_shown", "tutor_query"];

    private static long ResidentBytes(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}

/// <summary>
/// Draws 0..n-1 with probability proportional to 1/(k+1)^s, by binary search in the cumulative table
/// (MathNet's Zipf draws in time proportional to n, too slow for a million users at this rate).
/// </summary>
public sealed class ZipfSampler
{
    private readonly double[] _cumulative;

    public ZipfSampler(int n, double s)
    {
        _cumulative = new double[n];
        var sum = 0.0;
        for (var k = 0; k < n; k++)
        {
            sum += 1.0 / Math.Pow(k + 1, s);
            _cumulative[k] = sum;
        }
        for (var k = 0; k < n; k++) _cumulative[k] /= sum;
    }

    public int Next(Random random)
    {
        var at = Array.BinarySearch(_cumulative, random.NextDouble());
        return Math.Min(at < 0 ? ~at : at, _cumulative.Length - 1);
    }
}
