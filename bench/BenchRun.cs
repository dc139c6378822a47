namespace Telemetry.Bench;

/// <summary>
/// The whole benchmark on this machine: a durable throwaway PostgreSQL, one silo and one gateway as
/// processes, the HTTP floor, the load generated here. Ceilings first (raw COPY, the HTTP floor),
/// then ingest, metrics reads under ingest, and the read side at millions of stored events.
/// </summary>
public sealed class BenchRun
{
    private readonly TimeSpan _duration = TimeSpan.FromSeconds(Setting("BENCH_SECONDS", 20));
    private readonly TimeSpan _warmup = TimeSpan.FromSeconds(Setting("BENCH_WARMUP_SECONDS", 5));
    private readonly int _readEvents = Setting("BENCH_READ_EVENTS", 10_000_000);
    private readonly HashSet<string> _parts = [.. (Environment.GetEnvironmentVariable("BENCH_PARTS") ?? "ceilings,ingest,alerts,compat,metrics,read").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
    private readonly BenchReport _report = new();

    // The open loop runs at this share of the closed loop's rate just measured: busy, not saturated.
    private const double OpenLoopShare = 0.8;
    private const int OpenLoopMaxOutstanding = 512;

    // wrk for the single-event figures when it is installed; null: the .NET closed loop.
    private WrkLoad? _wrk;

    public async Task<int> RunAsync()
    {
        var root = FindRoot();
        var configuration = Environment.GetEnvironmentVariable("TELEMETRY_CONFIGURATION") ?? "Release";
        Console.WriteLine("starting a durable PostgreSQL (fsync and synchronous_commit on)");
        await using var postgres = await PostgresServer.StartAsync(durable: true);
        int? postmaster = postgres.DataDirectory is { } data ? int.Parse(File.ReadLines(Path.Combine(data, "postmaster.pid")).First(), CultureInfo.InvariantCulture) : null;
        await using var database = NpgsqlDataSource.Create(postgres.ConnectionString);
        var keys = new ApiKeyStore(database);

        var cluster = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var httpPort = LoopbackPort.Free();
        var floorPort = LoopbackPort.Free();
        var grpcPort = LoopbackPort.Free();
        var siloHttpPort = LoopbackPort.Free();
        var environment = new Dictionary<string, string?>
        {
            [DatabaseOptions.ConfigurationKey] = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { MaxPoolSize = 100 }.ConnectionString,
            ["TELEMETRY_CLUSTER_ID"] = cluster,
            ["TELEMETRY_SERVICE_ID"] = cluster,
            ["TELEMETRY_ADVERTISED_IP"] = "127.0.0.1",
            ["TELEMETRY_SILO_PORT"] = LoopbackPort.FreeSetting(),
            ["TELEMETRY_CLIENT_PORT"] = LoopbackPort.FreeSetting(),
            ["TELEMETRY_HTTP_PORT"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["TELEMETRY_GRPC_PORT"] = grpcPort.ToString(CultureInfo.InvariantCulture),
            ["TELEMETRY_METRICS_PORT"] = LoopbackPort.FreeSetting(),
            ["TELEMETRY_SILO_HTTP_PORT"] = siloHttpPort.ToString(CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = "Warning",
        };
        string Dll(string project, string name) => Path.Combine(root, project, "bin", configuration, "net10.0", name);
        await using var silo = BenchProcess.Start("silo", Dll("silo", "Telemetry.Silo.dll"), [], environment);
        await using var gateway = BenchProcess.Start("gateway", Dll("gateway", "Telemetry.Gateway.dll"), [], environment);
        await using var floor = BenchProcess.Start("floor", typeof(BenchRun).Assembly.Location, ["floor", floorPort.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string?>());
        var gatewayUri = new Uri($"http://127.0.0.1:{httpPort}/");
        var floorUri = new Uri($"http://127.0.0.1:{floorPort}/");
        await WaitReadyAsync(gatewayUri, gateway, silo);
        await WaitReadyAsync(floorUri, floor);

        var processes = new Dictionary<string, int> { ["silo"] = silo.Id, ["gateway"] = gateway.Id, ["floor"] = floor.Id, ["bench"] = Environment.ProcessId };
        MemorySampler Sample() => new(processes, postmaster);
        // CPU per event: our processes, then any figure's own (the peer), PostgreSQL, and the load
        // generator (the bench, with wrk as its child).
        CpuSampler Cpu(params CpuSampler.Tracked[] more) => new(
        [
            new("gateway", gateway.Id, CpuSampler.Scope.Own),
            new("silo", silo.Id, CpuSampler.Scope.Own),
            new("HTTP floor", floor.Id, CpuSampler.Scope.Own),
            .. more,
            .. postmaster is { } pm ? [new CpuSampler.Tracked("PostgreSQL", pm, CpuSampler.Scope.Tree)] : Array.Empty<CpuSampler.Tracked>(),
            new("load generator", Environment.ProcessId, CpuSampler.Scope.OwnAndReaped),
        ]);

        var ingestKey = (await keys.CreateTenantAsync("bench-ingest"))!.Key;
        using var scraper = new HttpClient();
        var commits = new CommitProfile(scraper, new Uri($"http://127.0.0.1:{siloHttpPort}/"));
        if (_parts.Contains("ceilings") || _parts.Contains("ingest"))
        {
            _wrk = await WrkLoad.FindAsync(root);
            _report.Note(_wrk is { } wrk
                ? Invariant($"load generator of the closed-loop single-event figures (HTTP floor, single-event ingest, peer): {wrk.Version}, a thread a core, bench/wrk-single-event.lua (only 201 answers count as events); of the open loops and batches: .NET HttpClient in the bench process")
                : "load generator of every figure: .NET HttpClient in the bench process (wrk not found: ./telemetry bench installs Debian's wrk as root or through sudo; BENCH_GENERATOR=dotnet chooses this)");
            // Ceilings, measured first on the idle machine, then ingest against them.
            var copyRate = await RawCopyAsync(database, keys, Sample);
            var floorResult = await SingleAsync(floorUri, "unused", 64, Sample, Cpu(), "HTTP floor: bare endpoint, 64 connections", "HTTP floor", "ceiling for single-event ingest");
            // Every user's metrics grain active first: the figure is the steady state, not each user's first
            // event (which activates a grain and reads the user's log; measured apart, below).
            var warming = Stopwatch.StartNew();
            await WarmUsersAsync(gatewayUri, ingestKey);
            _report.Note(Invariant($"before single-event ingest, each of the {EventRows.Users:N0} users got one event (batches of 100), so that their metrics grains are active: {warming.Elapsed.TotalSeconds:F1} s, {EventRows.Users / warming.Elapsed.TotalSeconds:N0} first events of users a second"));
            await commits.StartAsync();
            var single = await SingleAsync(gatewayUri, ingestKey, 64, Sample, Cpu(), "single-event ingest, 64 connections", "single-event ingest", null);
            _report.Note("single-event ingest, the silo's group commits: " + await commits.DescribeAsync());
            var singleRatio = single.ItemsPerSecond / floorResult.ItemsPerSecond;
            _report.Note(Invariant($"single-event ingest / HTTP floor = {singleRatio:F3} (goal: at least 0.3 with p99 at most 25 ms: {(singleRatio >= 0.3 && single.P99Ms <= 25 ? "met" : "not met")})"));
            var openRate = TwoSignificantDigits(OpenLoopShare * single.ItemsPerSecond);
            await commits.StartAsync();
            await OpenLoopAsync(gatewayUri, ingestKey, openRate, Invariant($"{OpenLoopShare:P0} of its closed loop's"), Sample, Cpu(), "single-event ingest", null);
            _report.Note("single-event ingest, open loop, the silo's group commits: " + await commits.DescribeAsync());
            await PeerAsync(root, database, postgres.ConnectionString, single, openRate, Sample, Cpu);
            await commits.StartAsync();
            var batch = await BatchAsync(gatewayUri, ingestKey, 16, 100, Sample, Cpu());
            _report.Note("batch ingest, the silo's group commits: " + await commits.DescribeAsync());
            _report.Note(Invariant($"batch ingest / raw COPY = {batch.ItemsPerSecond / copyRate:F3} (goal: at least 0.5: {(batch.ItemsPerSecond / copyRate >= 0.5 ? "met" : "not met")})"));
        }

        if (_parts.Contains("alerts"))
        {
            _wrk ??= await WrkLoad.FindAsync(root);
            if (!_parts.Contains("ingest")) await WarmUsersAsync(gatewayUri, ingestKey);
            await AlertRulesCostAsync(gatewayUri, ingestKey, Sample, () => Cpu());
        }

        if (_parts.Contains("compat"))
        {
            // The event collector's surfaces: its own claims are 1,000 (HTTP) and 2,000 (gRPC) events/s.
            var collectorKey = (await keys.CreateTenantAsync("bench-collector"))!.Key;
            await CollectAsync(gatewayUri, collectorKey, Sample);
            await GrpcStreamAsync(new Uri($"http://127.0.0.1:{grpcPort}/"), collectorKey, Sample);
        }

        double? readsAtFewEvents = null;
        if (_parts.Contains("metrics"))
        {
            // Metrics reads while ingest goes on.
            var smallKey = (await keys.CreateTenantAsync("bench-small"))!.Key;
            await PostBatchesAsync(gatewayUri, smallKey, 10_000);
            var fromCopy = await MetricsReadsAsync(gatewayUri, smallKey, ingestKey, Sample, "metrics reads under ingest, 10 thousand stored events");
            readsAtFewEvents = fromCopy;

            // The same reads in the same run through a gateway that always asks the grain (as before
            // the pushed copy): the copy's gain measured on the same host in the same minute.
            var grainHttpPort = LoopbackPort.Free();
            var grainOnly = new Dictionary<string, string?>(environment)
            {
                ["TELEMETRY_HTTP_PORT"] = grainHttpPort.ToString(CultureInfo.InvariantCulture),
                ["TELEMETRY_GRPC_PORT"] = LoopbackPort.FreeSetting(),
                ["TELEMETRY_METRICS_PORT"] = LoopbackPort.FreeSetting(),
                ["Metrics__PushedCopyMaxAge"] = "00:00:00",
            };
            var grainUri = new Uri($"http://127.0.0.1:{grainHttpPort}/");
            await using (var grainGateway = BenchProcess.Start("gateway-grain-reads", Dll("gateway", "Telemetry.Gateway.dll"), [], grainOnly))
            {
                await WaitReadyAsync(grainUri, grainGateway, silo);
                var fromGrain = await MetricsReadsAsync(grainUri, smallKey, ingestKey, Sample, "metrics reads under ingest from the grain (Metrics:PushedCopyMaxAge 0), 10 thousand stored events");
                _report.Note(Invariant($"metrics reads from the gateway's pushed copy / from the grain, same run = {fromCopy / fromGrain:F2} (goal: at least 1.5: {(fromCopy / fromGrain >= 1.5 ? "met" : "not met")})"));
            }
        }

        if (_parts.Contains("read"))
        {
            // The read side at millions of stored events.
            var (readTenant, readKey) = await LoadReadTenantAsync(database, keys);
            var readsAtMany = await MetricsReadsAsync(gatewayUri, readKey, ingestKey, Sample, Invariant($"metrics reads under ingest, {_readEvents:N0} stored events"));
            if (readsAtFewEvents is { } few)
            {
                _report.Note(Invariant($"metrics reads at {_readEvents:N0} stored events / at 10 thousand, same run = {readsAtMany / few:F2} (goal: within 10 %: {(Math.Abs(readsAtMany / few - 1) <= 0.1 ? "met" : "not met")})"));
            }
            await PagesAsync(database, gatewayUri, readTenant, readKey, Sample);
            await ExportAsync(database, gatewayUri, readTenant, readKey, Sample);
        }

        if (_parts.Contains("scale"))
        {
            await new ScaleRun(root, configuration, postgres.ConnectionString, database, _report).RunAsync();
        }

        var generator = _wrk is { } w ? $"{w.Version} for closed-loop single events, .NET HttpClient for the rest" : ".NET HttpClient";
        var machine = Invariant($"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024 / 1024 / 1024} GiB; load generator ({generator}), one silo, one gateway and PostgreSQL on this machine; Release builds; {_duration.TotalSeconds:F0} s per load after {_warmup.TotalSeconds:F0} s of warm-up. CPU per event is each process's user and system time over the measured span (PostgreSQL: all its processes) divided by the events stored in it; the rest of the machine is everything else busy meanwhile (idle processes, the kernel's threads, any other work on the host).");
        var output = Environment.GetEnvironmentVariable("BENCH_OUTPUT") ?? Path.Combine(root, "bench", "results", $"{DateTimeOffset.UtcNow:yyyy-MM-dd}.md");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, _report.Render(machine));
        Console.WriteLine($"written to {output}");
        return 0;
    }

    /// <summary>
    /// The per-request-INSERT peer under the same load as single-event ingest, and the ratio of the two;
    /// then in an open loop at the rate ours had (or 0.8 of the peer's own, if lower).
    /// </summary>
    private async Task PeerAsync(string root, NpgsqlDataSource database, string connectionString, LoadResult single, double openRate, Func<MemorySampler> sample,
        Func<CpuSampler.Tracked[], CpuSampler> cpu)
    {
        var port = LoopbackPort.Free();
        await using var peer = await PeerApp.StartAsync(root, database, connectionString, port);
        if (peer is null)
        {
            _report.Note("per-request INSERT peer: not measured (Node.js and npm are needed for bench/peer)");
            return;
        }
        var uri = new Uri($"http://127.0.0.1:{port}/");
        await WaitReadyAsync(uri, peer);
        // The peer is a Node.js cluster: its primary and the workers it forked.
        CpuSampler.Tracked[] node = [new("peer", peer.Id, CpuSampler.Scope.Tree)];
        var result = await SingleAsync(uri, "unused", 64, sample, cpu(node), Invariant($"per-request INSERT peer: Fastify + node-postgres, {Environment.ProcessorCount} workers, 64 connections"),
            "per-request INSERT peer", "peer for single-event ingest");
        _report.Note(Invariant($"single-event ingest / per-request INSERT peer = {single.ItemsPerSecond / result.ItemsPerSecond:F2} (goal: at least 5: {(single.ItemsPerSecond >= 5 * result.ItemsPerSecond ? "met" : "not met")})"));
        var ownRate = TwoSignificantDigits(OpenLoopShare * result.ItemsPerSecond);
        var (peerOpenRate, why) = openRate <= ownRate ? (openRate, "the rate of ours") : (ownRate, Invariant($"{OpenLoopShare:P0} of its closed loop's, below ours"));
        await OpenLoopAsync(uri, "unused", peerOpenRate, why, sample, cpu(node), "per-request INSERT peer", "peer for the open loop");
    }

    private async Task<double> RawCopyAsync(NpgsqlDataSource database, ApiKeyStore keys, Func<MemorySampler> sample)
    {
        await keys.CreateTenantAsync("bench-copy");
        long rows = 0;
        var seq = 0L;
        await using var memory = sample();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(async worker =>
        {
            var random = new Random(worker);
            await using var connection = await database.OpenConnectionAsync();
            while (clock.Elapsed < _duration)
            {
                const int chunk = 10_000;
                var first = Interlocked.Add(ref seq, chunk) - chunk + 1;
                await EventRows.CopyAsync(connection, "bench-copy", first, chunk, DateTimeOffset.UtcNow, TimeSpan.Zero, withIds: false, random);
                Interlocked.Add(ref rows, chunk);
            }
        }));
        var rate = rows / clock.Elapsed.TotalSeconds;
        _report.Add("raw COPY into events: binary COPY, 2 connections, 10,000 rows a COPY", Invariant($"{rate:N0} rows/s"), null, null, "ceiling for batch ingest", memory.PeaksMiB);
        return rate;
    }

    /// <summary>
    /// What a tenant's alert rules cost its ingest: single events without rules, with 100 rules (every metric, window and
    /// several categories, none of which fires, so that only their evaluation is measured), and without them again.
    /// </summary>
    private async Task AlertRulesCostAsync(Uri gatewayUri, string key, Func<MemorySampler> sample, Func<CpuSampler> cpu)
    {
        const int Rules = 100;
        string[] metrics = ["error_rate", "event_count", "failure_count", "avg_duration_ms", "silence_seconds"];
        string[] windows = ["15m", "1h", "24h"];
        var before = await SingleAsync(gatewayUri, key, 64, sample, cpu(), "single-event ingest, tenant without alert rules", "single-event ingest without alert rules", null);
        using var admin = new HttpClient { BaseAddress = gatewayUri };
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        var ids = new List<string>();
        for (var i = 0; i < Rules; i++)
        {
            var metric = metrics[i % metrics.Length];
            // Conditions that cannot hold: the rules are evaluated on every round of events and never fire.
            var (comparison, threshold) = metric switch { "error_rate" => (">", 1.0), "avg_duration_ms" or "silence_seconds" => (">", 1e15), _ => ("<", 0.0) };
            // But the first, which fires at once: proof that the rules were being evaluated (its delivery to a name
            // that does not resolve fails and is retried in the background, as a real one would be).
            if (i == 0) (metric, comparison, threshold) = ("event_count", ">", 0.0);
            var category = i % 4 == 0 ? "null" : $"\"bench_{i % EventRows.Types}\"";
            var body = Invariant($$"""{"name":"bench {{i}}","metric":"{{metric}}","category":{{category}},"window":"{{windows[i % windows.Length]}}","comparison":"{{comparison}}","threshold":{{threshold}},"targets":["https://alerts.invalid/hook"]}""");
            using var created = await admin.PostAsync(new Uri("v1/alerts", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
            if (created.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"creating a bench rule answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
            using var json = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync());
            ids.Add(json.RootElement.GetProperty("rule").GetProperty("id").GetString()!);
        }
        var with = await SingleAsync(gatewayUri, key, 64, sample, cpu(), Invariant($"single-event ingest, tenant with {Rules} alert rules"), "single-event ingest with alert rules", null);
        using (var canary = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync(new Uri($"v1/alerts/{ids[0]}", UriKind.Relative))))
        {
            var state = canary.RootElement.GetProperty("state").GetString();
            _report.Note($"the one rule of the {Rules} that can fire is {state}: {(state == "firing" ? "the rules were evaluated during the run" : "THE RULES WERE NOT EVALUATED; the ratio below means nothing")}");
        }
        foreach (var id in ids) (await admin.DeleteAsync(new Uri($"v1/alerts/{id}", UriKind.Relative))).Dispose();
        var after = await SingleAsync(gatewayUri, key, 64, sample, cpu(), "single-event ingest, tenant without alert rules (again)", "single-event ingest without alert rules, again", null);
        var ratio = with.ItemsPerSecond / ((before.ItemsPerSecond + after.ItemsPerSecond) / 2);
        _report.Note(Invariant($"single-event ingest with {Rules} alert rules / without (mean of before and after) = {ratio:F3} (goal: at least 0.9: {(ratio >= 0.9 ? "met" : "not met")})"));
    }

    /// <summary>A closed loop of single events over <paramref name="connections"/> connections, by wrk when there is one; <paramref name="cpuFigure"/> names its CPU line.</summary>
    private async Task<LoadResult> SingleAsync(Uri target, string key, int connections, Func<MemorySampler> sample, CpuSampler cpu, string figure, string cpuFigure, string? against)
    {
        await using var memory = sample();
        LoadResult result;
        if (_wrk is { } wrk)
        {
            result = await wrk.RunAsync(target, key, connections, _warmup, _duration, cpu.Start, cpu.Stop);
        }
        else
        {
            using var client = Client(target, key, connections);
            result = await ClosedLoopLoad.RunAsync(connections, _warmup, _duration, async (w, n) =>
            {
                using var response = await client.PostAsync(new Uri("v1/events", UriKind.Relative), new StringContent(EventRows.Json(w, n, 0), Encoding.UTF8, "application/json"));
                return response.StatusCode == HttpStatusCode.Created ? 1 : 0;
            }, cpu.Start, cpu.Stop);
        }
        _report.Add(figure, Rate(result, "events/s"), result.P50Ms, result.P99Ms, against ?? "", memory.PeaksMiB);
        _report.Note(cpu.Describe(cpuFigure, result.Items));
        return result;
    }

    /// <summary>
    /// Single events at a fixed <paramref name="rate"/>, each timed from when it was due (no coordinated
    /// omission); without <paramref name="against"/>, the row says whether p99 met the goal of 25 ms.
    /// </summary>
    private async Task OpenLoopAsync(Uri target, string key, double rate, string whyThatRate, Func<MemorySampler> sample, CpuSampler cpu, string figure, string? against)
    {
        using var client = Client(target, key, OpenLoopMaxOutstanding);
        await using var memory = sample();
        var result = await OpenLoopLoad.RunAsync(rate, OpenLoopMaxOutstanding, _warmup, _duration, async n =>
        {
            // 64 session ids, as over the closed loop's 64 connections.
            using var response = await client.PostAsync(new Uri("v1/events", UriKind.Relative), new StringContent(EventRows.Json((int)(n % 64), (int)(n / 64), 0), Encoding.UTF8, "application/json"));
            return response.StatusCode == HttpStatusCode.Created ? 1 : 0;
        }, cpu.Start, cpu.Stop);
        var name = Invariant($"{figure}, open loop at {rate:N0} events/s ({whyThatRate}), up to {OpenLoopMaxOutstanding} outstanding");
        _report.Add(name, Rate(result, "events/s"), result.P50Ms, result.P99Ms,
            (against ?? $"goal p99 at most 25 ms at that rate: {(result.P99Ms <= 25 ? "met" : "not met")}") + "; latency from each request's due time", memory.PeaksMiB);
        _report.Note(cpu.Describe(figure + ", open loop", result.Items));
    }

    private async Task<LoadResult> BatchAsync(Uri target, string key, int connections, int size, Func<MemorySampler> sample, CpuSampler cpu)
    {
        using var client = Client(target, key, connections);
        await using var memory = sample();
        var result = await ClosedLoopLoad.RunAsync(connections, _warmup, _duration, async (w, n) =>
        {
            using var response = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), new StringContent(EventRows.Batch(w, n, size), Encoding.UTF8, "application/json"));
            return response.StatusCode == HttpStatusCode.OK ? size : 0;
        }, cpu.Start, cpu.Stop);
        _report.Add(Invariant($"batch ingest, {size} events a request, {connections} connections"), Rate(result, "events/s"), result.P50Ms, result.P99Ms, "raw COPY", memory.PeaksMiB);
        _report.Note(cpu.Describe("batch ingest", result.Items));
        return result;
    }

    private async Task CollectAsync(Uri target, string key, Func<MemorySampler> sample)
    {
        using var client = Client(target, key, 16);
        await using var memory = sample();
        var result = await ClosedLoopLoad.RunAsync(16, _warmup, _duration, async (w, n) =>
        {
            using var response = await client.PostAsync(new Uri("collect", UriKind.Relative), new StringContent(LearnerEvents.Collect(w, n, 100), Encoding.UTF8, "application/json"));
            return response.StatusCode == HttpStatusCode.OK ? 100 : 0;
        });
        _report.Add("event collector POST /collect, 100 learner events a request, 16 connections", Rate(result, "events/s"), result.P50Ms, result.P99Ms,
            Invariant($"goal ten times its 1,000/s: {(result.ItemsPerSecond >= 10_000 ? "met" : "not met")}"), memory.PeaksMiB);
    }

    private async Task GrpcStreamAsync(Uri target, string key, Func<MemorySampler> sample)
    {
        await using var memory = sample();
        var result = await LearnerEvents.StreamAsync(target, key, streams: 4, _warmup, _duration);
        _report.Add("event collector gRPC StreamEvents, 4 streams", Invariant($"{result.EventsPerSecond:N0} events/s"), result.P50, result.P99,
            Invariant($"goal ten times its 2,000/s: {(result.EventsPerSecond >= 20_000 ? "met" : "not met")}; latency from a group's last event to its acknowledgement"), memory.PeaksMiB);
    }

    /// <summary>Reads of the 24h overview and categories while single events are posted; answers the reads a second.</summary>
    private async Task<double> MetricsReadsAsync(Uri target, string readKey, string ingestKey, Func<MemorySampler> sample, string figure)
    {
        using var reader = Client(target, readKey, 32);
        using var writer = Client(target, ingestKey, 16);
        await using var memory = sample();
        using var stopIngest = new CancellationTokenSource();
        var ingest = Task.Run(async () =>
        {
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async w =>
            {
                for (var n = 0; !stopIngest.IsCancellationRequested; n++)
                {
                    try
                    {
                        using var _ = await writer.PostAsync(new Uri("v1/events", UriKind.Relative), new StringContent(EventRows.Json(1000 + w, n, 0), Encoding.UTF8, "application/json"));
                    }
                    catch (HttpRequestException)
                    {
                    }
                }
            }));
        });
        var paths = new[] { new Uri("v1/metrics/overview", UriKind.Relative), new Uri("v1/metrics/categories", UriKind.Relative) };
        var result = await ClosedLoopLoad.RunAsync(32, _warmup, _duration, async (w, n) =>
        {
            using var response = await reader.GetAsync(paths[(w + n) % 2]);
            return response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        });
        await stopIngest.CancelAsync();
        await ingest;
        _report.Add(figure + " (overview and categories, 32 readers, 16 single-event writers)", Rate(result, "reads/s"), result.P50Ms, result.P99Ms,
            Invariant($"goal 30,000 reads/s with p99 under 5 ms: {(result.RequestsPerSecond >= 30_000 && result.P99Ms < 5 ? "met" : "not met")}"), memory.PeaksMiB);
        return result.RequestsPerSecond;
    }

    private async Task<(string Tenant, string Key)> LoadReadTenantAsync(NpgsqlDataSource database, ApiKeyStore keys)
    {
        const string tenant = "bench-read";
        var key = (await keys.CreateTenantAsync(tenant))!.Key;
        var now = DateTimeOffset.UtcNow;
        var spread = TimeSpan.FromDays(27);
        for (var at = now - spread; at <= now.AddDays(7); at = at.AddDays(7))
        {
            await using var ensure = database.CreateCommand("SELECT telemetry_ensure_event_partition(@at)");
            ensure.Parameters.AddWithValue("at", at.UtcDateTime);
            await ensure.ExecuteScalarAsync();
        }

        Console.WriteLine(Invariant($"loading {_readEvents:N0} events into one tenant with COPY"));
        var clock = Stopwatch.StartNew();
        const int workers = 2;
        var perWorker = _readEvents / workers;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async w =>
        {
            var random = new Random(100 + w);
            await using var connection = await database.OpenConnectionAsync();
            const int chunk = 100_000;
            for (var done = 0; done < perWorker; done += chunk)
            {
                var count = Math.Min(chunk, perWorker - done);
                // Each worker covers its own stretch of time and sequence numbers.
                var share = spread / workers;
                var from = now - spread + share * w + share * ((double)done / perWorker);
                await EventRows.CopyAsync(connection, tenant, (long)w * perWorker + done + 1, count, from, share * ((double)count / perWorker), withIds: true, random);
            }
        }));
        Console.WriteLine(Invariant($"loaded in {clock.Elapsed.TotalSeconds:F0} s; writing its rollups"));
        await using (var rollups = database.CreateCommand("""
            INSERT INTO tenant_rollups (tenant_id, granularity, bucket_start, type, count, success, failure, duration_sum, duration_count)
            SELECT e.tenant_id, b.g, b.bucket, e.type, count(*), count(*) FILTER (WHERE e.status = 'success'), count(*) FILTER (WHERE e.status = 'failure'),
                   coalesce(sum(e.duration_ms), 0), count(e.duration_ms)
            FROM events e
            CROSS JOIN LATERAL (VALUES (0::smallint, 'epoch'::timestamptz), (1::smallint, date_trunc('minute', e.occurred_at, 'UTC')),
                                       (2::smallint, date_trunc('hour', e.occurred_at, 'UTC')), (3::smallint, date_trunc('day', e.occurred_at, 'UTC'))) AS b(g, bucket)
            WHERE e.tenant_id = @t
            GROUP BY e.tenant_id, b.g, b.bucket, e.type;
            UPDATE tenants SET log_head = (SELECT max(seq) FROM events WHERE tenant_id = @t) WHERE tenant_id = @t;
            ANALYZE events;
            """))
        {
            rollups.Parameters.AddWithValue("t", tenant);
            rollups.CommandTimeout = 0;
            await rollups.ExecuteNonQueryAsync();
        }
        _report.Note(Invariant($"read side: {_readEvents:N0} events of one tenant over 27 days ({clock.Elapsed.TotalSeconds:F0} s to load with COPY, rollups and ANALYZE)"));
        return (tenant, key);
    }

    private async Task PagesAsync(NpgsqlDataSource database, Uri target, string tenant, string key, Func<MemorySampler> sample)
    {
        using var client = Client(target, key, 8);
        // A position half-way through one type's events: the cost of a page must not depend on it.
        await using var deep = database.CreateCommand("SELECT occurred_at, seq FROM events WHERE tenant_id = @t AND type = 'bench_3' ORDER BY occurred_at DESC, seq DESC OFFSET @o LIMIT 1");
        deep.Parameters.AddWithValue("t", tenant);
        deep.Parameters.AddWithValue("o", _readEvents / EventRows.Types / 2);
        deep.CommandTimeout = 0;
        string cursor;
        await using (var reader = await deep.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            cursor = new EventCursor(new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero), reader.GetInt64(1)).Encode();
        }

        foreach (var (figure, path) in new[]
        {
            ("first page, type filter, 100 events", "v1/events?type=bench_3&limit=100"),
            ("page half-way through a cursor walk, type filter, 100 events", "v1/events?type=bench_3&limit=100&cursor=" + cursor),
            ("first page, user and time filters, 100 events", Invariant($"v1/events?user_id=user-42&from={DateTimeOffset.UtcNow.AddDays(-20):yyyy-MM-dd'T'HH:mm:ss'Z'}&limit=100")),
        })
        {
            await using var memory = sample();
            var uri = new Uri(path, UriKind.Relative);
            var result = await ClosedLoopLoad.RunAsync(8, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), async (_, _) =>
            {
                using var response = await client.GetAsync(uri);
                return response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            });
            _report.Add(Invariant($"{figure}, {_readEvents:N0} stored, 8 clients"), Rate(result, "pages/s"), result.P50Ms, result.P99Ms,
                Invariant($"goal p99 under 50 ms: {(result.P99Ms < 50 ? "met" : "not met")}"), memory.PeaksMiB);
        }
    }

    private async Task ExportAsync(NpgsqlDataSource database, Uri target, string tenant, string key, Func<MemorySampler> sample)
    {
        await using var count = database.CreateCommand("SELECT count(*) FROM events WHERE tenant_id = @t AND type = 'bench_0'");
        count.Parameters.AddWithValue("t", tenant);
        count.CommandTimeout = 0;
        var rows = (long)(await count.ExecuteScalarAsync())!;
        using var client = Client(target, key, 1);
        client.Timeout = TimeSpan.FromMinutes(30);
        await using var memory = sample();
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(new Uri("v1/events/export?format=parquet&type=bench_0", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[1 << 16];
        long bytes = 0;
        for (int read; (read = await body.ReadAsync(buffer)) > 0;) bytes += read;
        var elapsed = clock.Elapsed;
        var peaks = memory.PeaksMiB;
        _report.Add(Invariant($"Parquet export of {rows:N0} rows ({bytes / 1024.0 / 1024:F0} MiB)"), Invariant($"{rows / elapsed.TotalSeconds:N0} rows/s"), null, null,
            Invariant($"goal: gateway flat, under 200 MB: peak {peaks.GetValueOrDefault("gateway"):F0} MiB, {(peaks.GetValueOrDefault("gateway") < 200 ? "met" : "not met")}"), peaks);
    }

    private static async Task WarmUsersAsync(Uri target, string key)
    {
        using var client = Client(target, key, 4);
        await Parallel.ForEachAsync(Enumerable.Range(0, EventRows.Users / 100), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (n, token) =>
        {
            using var response = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), new StringContent(EventRows.UsersBatch(n * 100, 100), Encoding.UTF8, "application/json"), token);
            response.EnsureSuccessStatusCode();
        });
    }

    private static async Task PostBatchesAsync(Uri target, string key, int events)
    {
        using var client = Client(target, key, 4);
        for (var n = 0; n < events / 100; n++)
        {
            using var response = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), new StringContent(EventRows.Batch(2000, n, 100), Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }
    }

    private static HttpClient Client(Uri target, string key, int connections)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        var client = new HttpClient(handler, disposeHandler: true) { BaseAddress = target, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A rate rounded to two significant digits (3,600 rather than 3,587), so that a row's name reads well.</summary>
    private static double TwoSignificantDigits(double value)
    {
        if (value < 10) return Math.Max(1, Math.Round(value));
        var unit = Math.Pow(10, Math.Floor(Math.Log10(value)) - 1);
        return Math.Round(value / unit) * unit;
    }

    private static string Rate(LoadResult result, string unit) =>
        Invariant($"{result.ItemsPerSecond:N0} {unit}") + (result.Failures > 0 ? Invariant($" ({result.Failures} failed)") : "");

    internal static async Task WaitReadyAsync(Uri target, params ChildProcess[] processes)
    {
        using var client = new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (processes.FirstOrDefault(p => p.HasExited) is { } dead) throw new InvalidOperationException($"{dead.Name} exited:\n{dead.Output}");
            try
            {
                using var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{target} did not become ready:\n{string.Join("\n", processes.Select(p => p.Output))}");
            await Task.Delay(250);
        }
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;


    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Telemetry.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (Telemetry.sln).");
    }
}
