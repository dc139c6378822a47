using Grpc.Core;
using Grpc.Core.Interceptors;
using Telemetry.Gateway.Limits;

namespace Telemetry.Gateway.Compat.EventCollector;

/// <summary>
/// The gRPC side of the HTTP failure handlers: a tenant over its limit gets ResourceExhausted, a
/// cluster or PostgreSQL failure Unavailable (nothing stored; retry with the same event ids).
/// </summary>
public sealed class GrpcFailureInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (Translate(ex) is { } status)
        {
            throw new RpcException(status);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception ex) when (Translate(ex) is { } status)
        {
            throw new RpcException(status);
        }
    }

    private static Status? Translate(Exception exception) => exception switch
    {
        TenantRateLimitedException limited => new Status(StatusCode.ResourceExhausted, limited.Message),
        _ when ClusterFailureHandler.IsRetryable(exception) && exception is not OperationCanceledException => new Status(StatusCode.Unavailable, "The service could not store the events; nothing of this call was stored. Retry with the same event ids."),
        _ => null,
    };
}
