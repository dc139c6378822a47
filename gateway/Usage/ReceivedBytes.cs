using Telemetry.Gateway.Auth;

namespace Telemetry.Gateway.Usage;

/// <summary>Counts the bytes of an ingest request's body as they arrive (compressed, as on the wire) into the tenant's usage.</summary>
public static class ReceivedBytes
{
    public static RouteHandlerBuilder CountReceivedBytes(this RouteHandlerBuilder endpoint, string surface) =>
        endpoint.AddEndpointFilterFactory((factory, next) =>
        {
            // Resolved once for the endpoint: the filter runs on every ingest request.
            var usage = factory.ApplicationServices.GetRequiredService<UsageRecorder>();
            return async context =>
            {
                var http = context.HttpContext;
                var counting = new CountingStream(http.Request.Body);
                http.Request.Body = counting;
                try
                {
                    return await next(context);
                }
                finally
                {
                    var tenant = http.Items[UsageRecorder.TenantItem] as string ?? (http.User.Identity?.IsAuthenticated == true ? http.User.TenantId() : null);
                    if (tenant is not null) usage.Add(tenant, surface, UsageRecorder.BytesReceived, counting.Count);
                }
            };
        });

    /// <summary>A read-only pass-through that counts what was read.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Counted(int read)
        {
            Count += read;
            return read;
        }
    }
}
