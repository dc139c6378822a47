using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.Json;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Limits;
using Telemetry.Gateway.Metrics;

namespace Telemetry.Gateway.Live;

/// <summary>
/// <c>GET /v1/stream</c>: the tenant's 24h metrics as Server-Sent Events, pushed from its grain. A tenant has at most
/// <see cref="ConcurrencyLimitOptions.LiveStreamsPerTenant"/> open on a gateway; a stream ends when its key is revoked.
/// </summary>
public static class StreamApi
{
    public static IEndpointRouteBuilder MapStreamApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/stream").WithTags("Metrics").RequireAuthorization(ApiKeyDefaults.ReadPolicy)
            .MapGet("/", Stream)
            .WithName("StreamMetrics")
            .WithSummary("text/event-stream: a 'metrics' event with the 24h overview and categories at once and then when they change (at most once a second), a 'heartbeat' event after 15 s of silence.");
        return routes;
    }

    public static Results<ServerSentEventsResult<string>, ProblemHttpResult> Stream(
        HttpContext http, LiveMetricsHub hub, IClusterClient cluster, IOptions<StreamOptions> options,
        TenantConcurrencyLimiter limits, KeyRevocationWatch revocations, IOptions<JsonOptions> json)
    {
        var tenantId = http.User.TenantId();
        var slot = limits.TryAcquire(TenantResource.LiveStream, tenantId);
        if (slot is null) return limits.Refuse(http, TenantResource.LiveStream);
        // The stream ends when the client goes or when its key is revoked; the slot is given back with the response.
        var watch = revocations.Start(http.User.KeyId(), http.RequestAborted);
        http.Response.RegisterForDispose(watch);
        http.Response.RegisterForDispose(slot);
        // Proxies must pass each event on as it comes.
        http.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(Events(tenantId, hub, cluster, options.Value.HeartbeatInterval, json.Value.SerializerOptions, watch.Token));
    }

    private static async IAsyncEnumerable<SseItem<string>> Events(
        string tenantId, LiveMetricsHub hub, IClusterClient cluster, TimeSpan heartbeat, JsonSerializerOptions json, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var listener = await hub.ListenAsync(tenantId, cancellationToken);
        yield return Metrics(await cluster.GetGrain<ITenantMetricsGrain>(tenantId).GetLiveAsync(), json);

        while (!cancellationToken.IsCancellationRequested)
        {
            var update = await NextAsync(listener, heartbeat, cancellationToken);
            if (update.Closed) yield break;
            yield return update.Metrics is { } metrics
                ? Metrics(metrics, json)
                : new SseItem<string>(JsonSerializer.Serialize(new HeartbeatEvent(DateTimeOffset.UtcNow), json), "heartbeat");
        }
    }

    /// <summary>The next push, or none when the heartbeat interval passed first; Closed when the client or the hub went.</summary>
    private static async Task<(LiveMetrics? Metrics, bool Closed)> NextAsync(LiveMetricsHub.Listener listener, TimeSpan heartbeat, CancellationToken cancellationToken)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silence.CancelAfter(heartbeat);
        try
        {
            if (!await listener.Updates.WaitToReadAsync(silence.Token)) return (null, true);
            return listener.Updates.TryRead(out var metrics) ? (metrics, false) : (null, false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, false);
        }
        catch (OperationCanceledException)
        {
            return (null, true);
        }
    }

    private static SseItem<string> Metrics(LiveMetrics live, JsonSerializerOptions json)
    {
        var update = new LiveMetricsEvent(OverviewResponse.Of(MetricsWindow.OneDay, live.Overview), CategoryResponse.Of(live.Categories));
        return new SseItem<string>(JsonSerializer.Serialize(update, json), "metrics");
    }
}

/// <summary>The data of a <c>metrics</c> event.</summary>
public sealed record LiveMetricsEvent(OverviewResponse Overview, IReadOnlyList<CategoryResponse> Categories);

/// <summary>The data of a <c>heartbeat</c> event.</summary>
public sealed record HeartbeatEvent(DateTimeOffset At);
