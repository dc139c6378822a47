using System.Threading.Channels;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Compat.Grpc;
using Telemetry.Gateway.Health;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Limits;
using Telemetry.Gateway.Usage;

namespace Telemetry.Gateway.Compat.EventCollector;

/// <summary>
/// The event collector's gRPC service (seed 003) on <c>TELEMETRY_GRPC_PORT</c>. Events take the same
/// path as <c>POST /collect</c>; a stream is stored in groups, as fast as they come, each answered
/// with one acknowledgement naming its events.
/// </summary>
[Authorize(Policy = ApiKeyDefaults.IngestPolicy)]
public sealed class EventCollectorGrpcService(EventIngestion ingestion, HealthProbe probe, TenantConcurrencyLimiter limits, KeyRevocationWatch revocations, UsageRecorder usage) : EventCollectorService.EventCollectorServiceBase
{
    /// <summary>Most events stored together from one stream.</summary>
    public const int StreamGroup = 500;

    public override async Task<CollectResponse> CollectEvent(Event request, ServerCallContext context) =>
        await CollectAsync([request], context);

    public override async Task<CollectResponse> CollectEvents(EventBatch request, ServerCallContext context)
    {
        if (request.Events.Count > EventCollectorDialect.MaxEvents)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"A batch holds at most {EventCollectorDialect.MaxEvents} events."));
        }
        if (request.Events.Count == 0) throw new RpcException(new Status(StatusCode.InvalidArgument, $"A batch holds 1 to {EventCollectorDialect.MaxEvents} events."));
        return await CollectAsync(request.Events, context);
    }

    public override async Task StreamEvents(IAsyncStreamReader<Event> requestStream, IServerStreamWriter<CollectResponse> responseStream, ServerCallContext context)
    {
        var user = context.GetHttpContext().User;
        using var slot = limits.TryAcquire(TenantResource.IngestStream, user.TenantId())
            ?? throw new RpcException(
                new Status(StatusCode.ResourceExhausted, $"The tenant has {limits.Limit(TenantResource.IngestStream)} event streams open on this gateway, its limit; retry when one has ended."),
                new Metadata { { "retry-after", limits.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture) } });
        // The stream was authenticated when it opened: it ends when its key is revoked, as new calls start being refused.
        using var watch = revocations.Start(user.KeyId(), context.CancellationToken);
        var ended = watch.Token;

        var incoming = Channel.CreateBounded<Event>(new BoundedChannelOptions(StreamGroup * 4) { SingleReader = true, SingleWriter = true });
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in requestStream.ReadAllAsync(ended)) await incoming.Writer.WriteAsync(item, ended);
                incoming.Writer.TryComplete();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                incoming.Writer.TryComplete(ex);
            }
        });

        try
        {
            var group = new List<Event>(StreamGroup);
            while (await incoming.Reader.WaitToReadAsync(ended))
            {
                // Whatever has arrived goes together, up to a group: one round trip to the log for many events.
                while (group.Count < StreamGroup && incoming.Reader.TryRead(out var item)) group.Add(item);
                await responseStream.WriteAsync(await CollectAsync(group, context));
                group.Clear();
            }
            await reading;
        }
        catch (Exception) when (watch.Revoked)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "The API key was revoked; events after the last acknowledgement were not stored."));
        }
    }

    [AllowAnonymous]
    public override async Task<HealthCheckResponse> HealthCheck(HealthCheckRequest request, ServerCallContext context)
    {
        var checks = await probe.CheckAsync(context.CancellationToken);
        return new HealthCheckResponse
        {
            Status = checks.Values.All(v => v == "ok") ? "healthy" : "unhealthy",
            Timestamp = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
    }

    [AllowAnonymous]
    public override async Task<ReadinessCheckResponse> ReadinessCheck(ReadinessCheckRequest request, ServerCallContext context)
    {
        var ready = (await probe.CheckAsync(context.CancellationToken)).Values.All(v => v == "ok");
        return new ReadinessCheckResponse { Ready = ready, Status = ready ? "ready" : "not ready" };
    }

    private async Task<CollectResponse> CollectAsync(IReadOnlyList<Event> events, ServerCallContext context)
    {
        var receivedAt = ingestion.Now();
        var items = new List<(EventDraft, List<FieldError>)>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var errors = new List<FieldError>();
            items.Add((EventCollectorDialect.Read(events[i], $"events[{i}].", errors), errors));
        }
        var tenantId = context.GetHttpContext().User.TenantId();
        // The messages' encoded size: what a protobuf body holds, without HTTP/2 framing.
        usage.Add(tenantId, IngestSurface.EventCollectorGrpc, UsageRecorder.BytesReceived, events.Sum(e => (long)e.CalculateSize()));
        var result = await ingestion.IngestBatchAsync(tenantId, IngestSurface.EventCollectorGrpc, items, receivedAt);
        var answer = EventCollectorDialect.Answered(result, receivedAt);
        var response = new CollectResponse
        {
            Success = answer.Success,
            BatchId = answer.BatchId.ToString(),
            Accepted = answer.Accepted,
            Rejected = answer.Rejected,
            Timestamp = answer.Timestamp.ToString("O", CultureInfo.InvariantCulture),
        };
        response.EventIds.Add(answer.EventIds);
        response.Errors.Add(answer.Errors.Select(e => $"{e.Field}: {e.Message}"));
        return response;
    }
}
