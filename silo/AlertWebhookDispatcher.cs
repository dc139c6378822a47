using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telemetry.Grains;
using Telemetry.Observability;
using Telemetry.Storage;

namespace Telemetry.Silo;

/// <summary>
/// Sends the queued alert deliveries to their webhooks, signed, and records each outcome: delivered on a 2xx; tried again
/// with exponential backoff and jitter on a network error, a timeout, 408, 429 or 5xx (a longer <c>Retry-After</c> is
/// honoured); given up on another 4xx or after <see cref="AlertOptions.MaxAttempts"/>. Every silo runs one; they share
/// the queue in PostgreSQL. It also wakes the alerts grains of tenants with rules now and then.
/// </summary>
public sealed partial class AlertWebhookDispatcher(
    AlertDeliveryStore queue, AlertRuleStore rules, AlertDeliverySignal signal, IGrainFactory grains, IHttpClientFactory http,
    IOptions<AlertOptions> options, IOptions<AlertTargetOptions> targets, AlertMetrics metrics, TimeProvider clock, ILogger<AlertWebhookDispatcher> logger)
    : BackgroundService
{
    public const string HttpClientName = "alert-webhooks";

    /// <summary>Unix seconds of the attempt, also signed: a receiver can refuse old replays.</summary>
    public const string TimestampHeader = "X-Telemetry-Timestamp";

    /// <summary><c>sha256=</c> and the hex HMAC-SHA256, keyed by the rule's secret, of the timestamp, a dot and the body.</summary>
    public const string SignatureHeader = "X-Telemetry-Signature";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextWake = DateTimeOffset.MinValue;
        var waking = Task.CompletedTask;
        while (!stoppingToken.IsCancellationRequested)
        {
            var o = options.Value;
            var full = false;
            // Wakes run beside the deliveries, never in front of them.
            if (waking.IsCompleted && clock.GetUtcNow() >= nextWake)
            {
                nextWake = clock.GetUtcNow() + o.WakeInterval;
                waking = WakeTenantsAsync(stoppingToken);
            }
            try
            {
                // The lease outlives an attempt: another silo takes a delivery again only if this one died meanwhile.
                var claimed = await queue.ClaimAsync(o.DeliveriesAtOnce, o.DeliveryTimeout * 2 + TimeSpan.FromSeconds(5), stoppingToken);
                await Task.WhenAll(claimed.Select(d => SendAsync(d, o, stoppingToken)));
                full = claimed.Count == o.DeliveriesAtOnce;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // PostgreSQL or the cluster unavailable: the deliveries wait in their table.
                LogPassFailed(ex);
            }
            if (full) continue;
            try
            {
                await signal.WaitAsync(o.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Wakes the alerts grain of every tenant with rules, a few at a time; one that fails is woken at the next round.</summary>
    private async Task WakeTenantsAsync(CancellationToken stoppingToken)
    {
        try
        {
            await queue.PruneAsync(clock.GetUtcNow() - TimeSpan.FromDays(options.Value.KeepDeliveriesDays), stoppingToken);
            var tenants = await rules.ListTenantsAsync(stoppingToken);
            await Parallel.ForEachAsync(tenants, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = stoppingToken }, async (tenant, _) =>
            {
                try
                {
                    await grains.GetGrain<ITenantAlertsGrain>(tenant).WakeAsync();
                }
                catch (Exception ex) when (ex is OrleansException or TimeoutException or Npgsql.NpgsqlException)
                {
                    LogWakeFailed(tenant, ex);
                }
            });
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is Npgsql.NpgsqlException or TimeoutException)
        {
            LogPassFailed(ex);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task SendAsync(AlertDeliveryStore.Claimed delivery, AlertOptions o, CancellationToken stoppingToken)
    {
        int? status = null;
        string error;
        var final = false;
        TimeSpan? retryAfter = null;
        if (AlertTargetPolicy.Check(delivery.Target, targets.Value) is { } refused)
        {
            // The policy narrowed since the rule was written (or the gateway's differs): never sent.
            await queue.FailedAsync(delivery, null, $"target refused: {refused}", CancellationToken.None);
            metrics.Delivery(delivery.TenantId, "failed");
            return;
        }
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Target) { Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json") };
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            request.Headers.Add("Idempotency-Key", delivery.IdempotencyKey);
            request.Headers.Add(TimestampHeader, timestamp);
            request.Headers.Add(SignatureHeader, Signature(delivery.Secret, timestamp, delivery.Body));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(o.DeliveryTimeout);
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                await queue.DeliveredAsync(delivery, status.Value, CancellationToken.None);
                metrics.Delivery(delivery.TenantId, "delivered");
                return;
            }
            error = $"answered {status} {response.ReasonPhrase}";
            retryAfter = response.Headers.RetryAfter?.Delta;
            final = status is >= 400 and < 500 and not 408 and not 429;
        }
        catch (HttpRequestException ex)
        {
            error = ex.Message;
            final = ex.InnerException is TargetRefusedException;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            error = $"no answer within {o.DeliveryTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or UriFormatException or ArgumentException)
        {
            // A target this client cannot send to at all: trying again would not help.
            error = ex.Message;
            final = true;
        }
        if (final || delivery.Attempt >= o.MaxAttempts)
        {
            await queue.FailedAsync(delivery, status, error, CancellationToken.None);
            metrics.Delivery(delivery.TenantId, "failed");
            LogGaveUp(delivery.Target, delivery.IdempotencyKey, delivery.Attempt, error);
            return;
        }
        var delay = Backoff(delivery.Attempt, o);
        if (retryAfter is { } asked && asked > delay) delay = asked < o.RetryMaxDelay ? asked : o.RetryMaxDelay;
        await queue.RetryAsync(delivery, status, error, delay, CancellationToken.None);
        metrics.Delivery(delivery.TenantId, "retried");
    }

    /// <summary>The wait after attempt <paramref name="attempt"/>: doubling from the base up to the maximum, then between half and all of it.</summary>
    public static TimeSpan Backoff(int attempt, AlertOptions o)
    {
        var doubled = o.RetryBaseDelay * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = doubled < o.RetryMaxDelay ? doubled : o.RetryMaxDelay;
#pragma warning disable CA5394 // Jitter spreads retries; it protects nothing.
        return capped * (0.5 + (Random.Shared.NextDouble() / 2));
#pragma warning restore CA5394
    }

    public static string Signature(string secret, string timestamp, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body)));

    /// <summary>
    /// Connects only to addresses the target policy allows, checked after name resolution, so that a public name that
    /// resolves to an internal address (or changes to one) is refused as well.
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect(AlertTargetOptions targets) => async (context, cancellationToken) =>
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = Array.FindAll(addresses, a => !AlertTargetPolicy.IsLinkLocal(a) && (targets.AllowPrivateAddresses || AlertTargetPolicy.IsPublic(a)));
        if (allowed.Length == 0) throw new TargetRefusedException($"{host} resolves to no address alerts may reach (Alerts:AllowPrivateAddresses)");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    };

    /// <summary>A target the policy refuses, when a delivery connects: final, never retried.</summary>
    private sealed class TargetRefusedException(string message) : IOException(message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An alert delivery pass failed; the deliveries wait in PostgreSQL")]
    private partial void LogPassFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The alerts grain of tenant {Tenant} could not be woken; it is tried at the next round")]
    private partial void LogWakeFailed(string tenant, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert delivery {Key} to {Target} given up after {Attempts} attempts: {Error}")]
    private partial void LogGaveUp(string target, string key, int attempts, string error);
}
