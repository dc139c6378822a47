namespace Telemetry.Gateway.Core;

/// <summary>
/// A write-only pass-through that knows how many bytes went through it, for writers (Parquet) that
/// read their own position but never move it, over a response body that cannot seek.
/// </summary>
public sealed class PositionCountingStream(Stream inner) : Stream
{
    private long _written;

    public override bool CanRead => false;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => _written;

    public override long Position
    {
        get => _written;
        set
        {
            if (value != _written) throw new NotSupportedException("This stream only moves forward.");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        _written += buffer.Length;
    }

    /// <summary>Nothing: writers flush synchronously between pages, which a response body refuses; it is flushed when the response ends.</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => origin switch
    {
        SeekOrigin.Current when offset == 0 => _written,
        SeekOrigin.Begin when offset == _written => _written,
        SeekOrigin.End when offset == 0 => _written,
        _ => throw new NotSupportedException("This stream only moves forward."),
    };

    public override void SetLength(long value) => throw new NotSupportedException();
}
