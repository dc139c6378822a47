using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Telemetry.Gateway.Core;

/// <summary>
/// A request body read whole into a pooled buffer, after gzip when the client sent it so, and
/// never past the size limit: a gzip bomb costs no more memory than the limit.
/// </summary>
public sealed class RequestBody : IDisposable
{
    private byte[] _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>What the body's media type is, as far as ingest cares.</summary>
    public enum Kind
    {
        Unsupported,
        Json,
        Ndjson,
    }

    public static Kind MediaKind(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)) return Kind.Unsupported;
        if (type.Charset.HasValue && !type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)) return Kind.Unsupported;
        if (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return Kind.Json;
        if (type.MediaType.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase)) return Kind.Ndjson;
        return Kind.Unsupported;
    }

    /// <summary>Why a body was refused: the status (400, 413, 415), what it is about, and why.</summary>
    public sealed record Refusal(int Status, string Field, string Detail);

    /// <summary>Reads the body or answers why it is refused; a <paramref name="text"/> body must be UTF-8 (binary ones, protobuf, need not).</summary>
    public static async Task<(RequestBody? Body, Refusal? Refusal)> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken, bool text = true)
    {
        var encodings = request.Headers.ContentEncoding.ToString();
        var gzip = false;
        foreach (var part in encodings.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Equals("gzip", StringComparison.OrdinalIgnoreCase) || part.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
            {
                if (gzip) return (null, new Refusal(StatusCodes.Status415UnsupportedMediaType, "Content-Encoding", "gzip may be applied once."));
                gzip = true;
            }
            else if (!part.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                return (null, new Refusal(StatusCodes.Status415UnsupportedMediaType, "Content-Encoding", $"'{part}' is not supported: send gzip or identity."));
            }
        }

        if (request.ContentLength > (gzip ? CompressedLimit(maxBytes) : maxBytes))
        {
            await DiscardRestAsync(request, cancellationToken);
            return (null, new Refusal(StatusCodes.Status413PayloadTooLarge, "body", $"The body is larger than {maxBytes} bytes."));
        }

        var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1L, Math.Max(request.ContentLength ?? 4096, 4096)));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes) break;
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1L, buffer.Length * 2L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await source.ReadAsync(buffer.AsMemory(length, buffer.Length - length), cancellationToken);
                if (read == 0) break;
                length += read;
                if (length > maxBytes) break;
            }
        }
        catch (InvalidDataException)
        {
            return Refuse(StatusCodes.Status400BadRequest, "The gzip body does not decompress.");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Refuse(StatusCodes.Status413PayloadTooLarge, $"The body is larger than {maxBytes} bytes.");
        }
        finally
        {
            if (gzip) await source.DisposeAsync();
        }

        if (length > maxBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await DiscardRestAsync(request, cancellationToken);
            return (null, new Refusal(StatusCodes.Status413PayloadTooLarge, "body", gzip
                ? $"The body is larger than {maxBytes} bytes after decompression."
                : $"The body is larger than {maxBytes} bytes."));
        }
        // JSON text is UTF-8; System.Text.Json checks that only when a string is read, so check it here.
        if (text && !System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(0, length))) return Refuse(StatusCodes.Status400BadRequest, "The body is not valid UTF-8.");
        return (new RequestBody(buffer, length), null);

        // A refused body gives its buffer back to the pool.
        (RequestBody?, Refusal?) Refuse(int status, string detail)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, new Refusal(status, "body", detail));
        }
    }

    /// <summary>The most raw bytes a gzip body within the limit can take (incompressible data grows a little).</summary>
    public static long CompressedLimit(int maxBytes) => maxBytes + maxBytes / 100 + 1024;

    /// <summary>
    /// The most bytes the server reads of any body (Kestrel's limit): four times what a body may be,
    /// so that a body that is too large, but not absurdly, is read to its end and refused with a
    /// clean 413. Closing the connection on a client that is still sending makes the kernel reset it,
    /// and the client then sees a broken connection instead of the answer.
    /// </summary>
    public static long TransportLimit(int maxBytes) => 4 * CompressedLimit(maxBytes);

    /// <summary>Reads what is left of a refused body and drops it (see <see cref="TransportLimit"/>).</summary>
    private static async Task DiscardRestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var scrap = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await request.Body.ReadAsync(scrap, cancellationToken) > 0)
            {
            }
        }
        catch (BadHttpRequestException)
        {
            // Past the transport limit: Kestrel answers and closes the connection itself.
        }
        catch (IOException)
        {
            // The client went away: nobody is left to answer.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scrap);
        }
    }
}
