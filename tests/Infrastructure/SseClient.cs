using System.Net.Http.Headers;

namespace Telemetry.Tests.Infrastructure;

/// <summary>A Server-Sent Events connection read event by event, as a browser's EventSource would.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    /// <summary>One event: its type and its data parsed as JSON.</summary>
    public sealed record Message(string Type, JsonElement Data);

    public static async Task<SseClient> ConnectAsync(HttpClient client, string path = "v1/stream")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseClient(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event, or null when none came within <paramref name="within"/>.</summary>
    public async Task<Message?> NextAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        string? type = null;
        var data = new List<string>();
        try
        {
            while (true)
            {
                var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("the stream ended");
                if (line.Length == 0)
                {
                    if (data.Count == 0) continue;
                    using var json = JsonDocument.Parse(string.Join("\n", data));
                    return new Message(type ?? "message", json.RootElement.Clone());
                }
                if (line.StartsWith("event:", StringComparison.Ordinal)) type = line[6..].Trim();
                else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Add(line[5..].TrimStart());
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The next event of <paramref name="type"/> that satisfies <paramref name="match"/>, skipping others.</summary>
    public async Task<Message?> WaitForAsync(string type, Func<JsonElement, bool> match, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var next = await NextAsync(deadline - DateTime.UtcNow);
            if (next is null) return null;
            if (next.Type == type && match(next.Data)) return next;
        }
        return null;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
