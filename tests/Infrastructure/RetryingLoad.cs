using System.Collections.Concurrent;

namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// Clients that post batches to a gateway the way the contract asks well-behaved clients to: on 503,
/// 429 or a broken connection they retry the same batch (same ids) until it is acknowledged. Records
/// what was sent and what was acknowledged per tenant, so that a test can prove nothing acknowledged
/// was lost whatever happened to silos, gateways or PostgreSQL meanwhile.
/// </summary>
public sealed class RetryingLoad(Func<Uri> gateway, IReadOnlyList<string> users, int eventsPerBatch = 20) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;
    private readonly List<(string TenantId, string Key)> _tenants = [];
    private readonly ConcurrentDictionary<string, ConcurrentBag<Guid>> _sent = new();
    private readonly ConcurrentDictionary<string, ConcurrentBag<Guid>> _acknowledged = new();
    private int _batches;
    private int _retries;
    private long _accepted;
    private long _duplicates;
    private int _unavailableWithoutRetryAfter;
    private readonly ConcurrentQueue<DateTime> _acknowledgedAt = new();

    /// <summary>User ids <c>{prefix}-0</c> to <c>{prefix}-{count-1}</c>.</summary>
    public static string[] Users(string prefix, int count) => [.. Enumerable.Range(0, count).Select(i => $"{prefix}-{i}")];

    /// <summary>Refusals and failures seen, by status code (0 for a connection that failed or timed out).</summary>
    public ConcurrentDictionary<int, int> Refusals { get; } = new();

    /// <summary>Answers that a retry cannot fix (anything but 2xx, 503, 429), with their bodies.</summary>
    public ConcurrentBag<string> Unexpected { get; } = [];

    public int Batches => Volatile.Read(ref _batches);

    public int Retries => Volatile.Read(ref _retries);

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>503 answers that did not say when to retry (the contract wants Retry-After on every one).</summary>
    public int UnavailableWithoutRetryAfter => Volatile.Read(ref _unavailableWithoutRetryAfter);

    /// <summary>When the <paramref name="nth"/> batch (1-based) acknowledged after <paramref name="moment"/> (UTC) was, if there was one.</summary>
    public DateTime? AcknowledgedAfter(DateTime moment, int nth = 1) =>
        _acknowledgedAt.Where(at => at > moment).Order().Skip(nth - 1).Cast<DateTime?>().FirstOrDefault();

    public IReadOnlyCollection<string> Tenants
    {
        get
        {
            lock (_tenants) return [.. _tenants.Select(t => t.TenantId)];
        }
    }

    /// <summary>Adds a tenant that the workers post to from their next batch on.</summary>
    public void AddTenant(string tenantId, string key)
    {
        lock (_tenants) _tenants.Add((tenantId, key));
    }

    public string Key(string tenantId)
    {
        lock (_tenants) return _tenants.First(t => t.TenantId == tenantId).Key;
    }

    public IReadOnlySet<Guid> Sent(string tenantId) => _sent.TryGetValue(tenantId, out var ids) ? ids.ToHashSet() : [];

    public IReadOnlySet<Guid> Acknowledged(string tenantId) => _acknowledged.TryGetValue(tenantId, out var ids) ? ids.ToHashSet() : [];

    /// <summary>Waits until <paramref name="batches"/> batches in all were acknowledged (failing after two minutes).</summary>
    public async Task WaitForBatchesAsync(int batches)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (Batches < batches)
        {
            Xunit.Assert.True(DateTime.UtcNow < deadline, $"only {Batches} of {batches} batches acknowledged in two minutes; unexpected answers: {string.Join(" | ", Unexpected.Take(3))}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Starts <paramref name="workers"/> clients, each posting a batch to the next tenant in turn, and waits until
    /// <paramref name="batches"/> batches were acknowledged. They run until <see cref="StopAsync"/> (a batch in flight
    /// then is still retried until acknowledged), or until the test ends.
    /// </summary>
    public async Task StartAsync(int workers, int batches)
    {
        _running = Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkAsync(w, _stop.Token), CancellationToken.None)));
        await WaitForBatchesAsync(batches);
    }

    /// <summary>Stops the clients and waits (three minutes at most) until each batch in flight was acknowledged.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromMinutes(3));
    }

    /// <summary>Stops the clients of a test that ended early, without waiting for their batches.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAny(_running, Task.Delay(TimeSpan.FromSeconds(30)));
        _stop.Dispose();
    }

    private async Task WorkAsync(int worker, CancellationToken stop)
    {
        var factory = new EventFactory(seed: 7919 * (worker + 1));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var turn = worker;
        while (!stop.IsCancellationRequested)
        {
            (string TenantId, string Key) tenant;
            lock (_tenants) tenant = _tenants[turn++ % _tenants.Count];
            var events = Enumerable.Range(0, eventsPerBatch).Select(_ => factory.Next(users, DateTimeOffset.UtcNow)).ToList();
            var sent = _sent.GetOrAdd(tenant.TenantId, _ => []);
            foreach (var e in events) sent.Add(Guid.Parse(e["id"]!.GetValue<string>()));
            await PostUntilAcknowledgedAsync(client, tenant, new JsonObject { ["events"] = new JsonArray([.. events]) }.ToJsonString());
            Interlocked.Increment(ref _batches);
        }
    }

    private async Task PostUntilAcknowledgedAsync(HttpClient client, (string TenantId, string Key) tenant, string body)
    {
        var giveUp = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            TimeSpan wait = TimeSpan.FromMilliseconds(200);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway(), "v1/events/batch"))
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new("Bearer", tenant.Key);
                using var response = await client.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    var acknowledged = _acknowledged.GetOrAdd(tenant.TenantId, _ => []);
                    foreach (var item in result.RootElement.GetProperty("results").EnumerateArray())
                    {
                        if (item.GetProperty("status").GetString() == "rejected") Unexpected.Add("rejected: " + item);
                        else acknowledged.Add(item.GetProperty("id").GetGuid());
                    }
                    Interlocked.Add(ref _accepted, result.RootElement.GetProperty("accepted").GetInt64());
                    Interlocked.Add(ref _duplicates, result.RootElement.GetProperty("duplicates").GetInt64());
                    _acknowledgedAt.Enqueue(DateTime.UtcNow);
                    return;
                }
                Refusals.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests))
                {
                    Unexpected.Add($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    return;
                }
                if (response.Headers.RetryAfter?.Delta is { } after) wait = after;
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable) Interlocked.Increment(ref _unavailableWithoutRetryAfter);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Refusals.AddOrUpdate(0, 1, (_, n) => n + 1);
            }
            if (DateTime.UtcNow > giveUp)
            {
                Unexpected.Add($"gave up on a batch of {tenant.TenantId} after two minutes");
                return;
            }
            Interlocked.Increment(ref _retries);
            await Task.Delay(wait);
        }
    }
}
