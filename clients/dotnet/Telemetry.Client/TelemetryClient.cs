using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Telemetry.Client;

/// <summary>
/// Sends events to a Telemetry gateway in batches: <see cref="Enqueue"/> never blocks nor throws for a full queue (the
/// oldest event goes, counted); one background sender posts a batch when <see cref="TelemetryClientOptions.FlushAt"/>
/// events wait or <see cref="TelemetryClientOptions.FlushInterval"/> passed, retries what the server could not take
/// (network errors, 408, 429, 5xx) with backoff and the server's Retry-After, and reports per event what it refused.
/// Ids are made client-side, so a batch sent twice is stored once. Thread-safe; dispose it (or let the host stop it) to
/// deliver what is queued.
/// </summary>
public sealed partial class TelemetryClient : IAsyncDisposable
{
    private readonly TelemetryClientOptions _options;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Queue<Queued> _queue = new();
    private readonly List<(long Through, TaskCompletionSource Done)> _flushes = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _sending;
    private long _lastSeq;
    private long _inFlightFrom = long.MaxValue;
    private bool _flushNow;
    private bool _closed;
    private long _delivered, _duplicates, _rejected, _failed, _dropped, _retries;

    public TelemetryClient(TelemetryClientOptions options, ILogger<TelemetryClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _http = new HttpClient(options.Handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }, disposeHandler: options.Handler is null)
        {
            BaseAddress = options.Endpoint,
            Timeout = Timeout.InfiniteTimeSpan, // each attempt has its own (RequestTimeout)
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        _sending = Task.Run(SendLoopAsync);
    }

    /// <summary>What the client did so far.</summary>
    public TelemetryClientStats Stats
    {
        get
        {
            lock (_gate)
            {
                return new TelemetryClientStats(_lastSeq, _delivered, _duplicates, _rejected, _failed, _dropped, _retries, _queue.Count);
            }
        }
    }

    /// <summary>Queues an event; false when the client was shut down (the event is counted dropped).</summary>
    public bool Enqueue(TelemetryEvent telemetryEvent)
    {
        ArgumentNullException.ThrowIfNull(telemetryEvent);
        Queued? droppedOldest = null;
        bool wake;
        lock (_gate)
        {
            if (_closed)
            {
                _dropped++;
                return false;
            }
            _queue.Enqueue(new Queued(++_lastSeq, telemetryEvent));
            if (_queue.Count > _options.MaxQueueSize)
            {
                droppedOldest = _queue.Dequeue();
                _dropped++;
                SettleFlushes();
            }
            wake = _queue.Count == _options.FlushAt;
        }
        if (droppedOldest is not null) LogDropped(_options.MaxQueueSize, droppedOldest.Event.Id);
        if (wake) _wake.Release();
        return true;
    }

    /// <summary>Completes when every event queued before the call was delivered, refused, reported failed or dropped.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _flushes.Add((_lastSeq, done));
            _flushNow = true;
            SettleFlushes();
        }
        _wake.Release();
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Stops taking events and delivers those queued, for at most <see cref="TelemetryClientOptions.ShutdownTimeout"/> (or until
    /// <paramref name="cancellationToken"/>); what is left then is reported failed. Idempotent.
    /// </summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _closed = true;
            _flushNow = true;
        }
        _wake.Release();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ShutdownTimeout);
        try
        {
            await _sending.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // Out of time: the sender gives up its retries and reports what it still holds.
            await _abandon.CancelAsync();
            await _sending;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync();
        _http.Dispose();
        _abandon.Dispose();
        _wake.Dispose();
    }

    private async Task SendLoopAsync()
    {
        while (true)
        {
            bool closed;
            lock (_gate) closed = _closed;
            if (!closed)
            {
                // Woken by FlushAt events, a flush or a shutdown; else the interval sends what waits.
                try
                {
                    await _wake.WaitAsync(_options.FlushInterval, _abandon.Token);
                }
                catch (OperationCanceledException)
                {
                    // Abandoned: fall through and report what is queued.
                }
            }

            while (TakeBatch() is { Count: > 0 } batch)
            {
                await DeliverAsync(batch);
                lock (_gate)
                {
                    _inFlightFrom = long.MaxValue;
                    SettleFlushes();
                }
                // Keep sending while a full batch waits or a flush or shutdown asked; else back to waiting.
                lock (_gate)
                {
                    if (!_flushNow && !_closed && _queue.Count < _options.FlushAt) break;
                }
            }

            lock (_gate)
            {
                if (_queue.Count == 0) _flushNow = false;
                SettleFlushes();
                if (_closed && _queue.Count == 0) return;
            }
        }
    }

    private List<TelemetryEvent> TakeBatch()
    {
        lock (_gate)
        {
            var batch = new List<TelemetryEvent>(Math.Min(_queue.Count, _options.MaxBatchSize));
            if (_queue.Count > 0) _inFlightFrom = _queue.Peek().Seq;
            while (batch.Count < _options.MaxBatchSize && _queue.TryDequeue(out var next)) batch.Add(next.Event);
            return batch;
        }
    }

    /// <summary>Sends one batch until it is answered, splitting it when the server finds it too large; never throws.</summary>
    private async Task DeliverAsync(List<TelemetryEvent> batch)
    {
        for (var attempt = 0; ; attempt++)
        {
            Attempt outcome;
            try
            {
                outcome = await SendOnceAsync(batch);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !_abandon.IsCancellationRequested)
            {
                outcome = new Attempt(Retry: true, null, null, ex.Message);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or OperationCanceledException)
            {
                outcome = new Attempt(Retry: false, null, null, "the client shut down before the batch was delivered: " + ex.Message);
            }

            if (outcome.Done) return;
            if (outcome.Status == (int)HttpStatusCode.RequestEntityTooLarge && batch.Count > 1)
            {
                await DeliverAsync(batch[..(batch.Count / 2)]);
                await DeliverAsync(batch[(batch.Count / 2)..]);
                return;
            }
            if (!outcome.Retry || attempt >= _options.MaxRetries || _abandon.IsCancellationRequested)
            {
                Fail(batch, outcome.Status, outcome.Retry && attempt >= _options.MaxRetries ? $"gave up after {attempt + 1} attempts: {outcome.Reason}" : outcome.Reason);
                return;
            }

            var delay = RetryDelay.Next(attempt, _options.RetryBaseDelay, _options.RetryMaxDelay, outcome.RetryAfter);
            lock (_gate) _retries++;
            LogRetrying(batch.Count, outcome.Status, outcome.Reason, delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, _abandon.Token);
            }
            catch (OperationCanceledException)
            {
                Fail(batch, outcome.Status, "the client shut down before the batch was delivered: " + outcome.Reason);
                return;
            }
        }
    }

    private async Task<Attempt> SendOnceAsync(List<TelemetryEvent> batch)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token);
        timeout.CancelAfter(_options.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/events/batch") { Content = Body(batch) };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        var status = (int)response.StatusCode;
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.UnprocessableEntity
            && await TryReadAnswerAsync(response, timeout.Token) is { } answer && answer.Results.Count == batch.Count)
        {
            Settle(batch, answer);
            return Attempt.Delivered;
        }
        var reason = $"{status} {response.ReasonPhrase}";
        var retryable = response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || status >= 500;
        return new Attempt(retryable, status, RetryDelay.Of(response.Headers.RetryAfter, DateTimeOffset.UtcNow), reason);
    }

    private ByteArrayContent Body(List<TelemetryEvent> batch)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new BatchRequest(batch), ClientJson.Default.BatchRequest);
        if (!_options.Gzip)
        {
            var plain = new ByteArrayContent(json);
            plain.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return plain;
        }
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(json);
        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    private static async Task<BatchAnswer?> TryReadAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonSerializer.DeserializeAsync(body, ClientJson.Default.BatchAnswer, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Settle(List<TelemetryEvent> batch, BatchAnswer answer)
    {
        var rejections = new List<TelemetryRejection>();
        lock (_gate)
        {
            foreach (var item in answer.Results)
            {
                if (item.Index < 0 || item.Index >= batch.Count) continue;
                switch (item.Status)
                {
                    case "rejected":
                        _rejected++;
                        rejections.Add(new TelemetryRejection(batch[item.Index], item.Errors ?? []));
                        break;
                    case "duplicate":
                        _duplicates++;
                        _delivered++;
                        break;
                    default:
                        _delivered++;
                        break;
                }
            }
        }
        foreach (var rejection in rejections)
        {
            LogRejected(rejection.Event.Id, string.Join("; ", rejection.Errors.Select(e => $"{e.Field}: {e.Message}")));
            Report(() => _options.OnRejected?.Invoke(rejection));
        }
    }

    private void Fail(List<TelemetryEvent> batch, int? status, string reason)
    {
        lock (_gate) _failed += batch.Count;
        LogFailed(batch.Count, reason);
        var failure = new TelemetryDeliveryFailure(batch, status, reason);
        Report(() => _options.OnFailed?.Invoke(failure));
    }

    /// <summary>A caller's callback that throws must not stop the sender.</summary>
    private void Report(Action callback)
    {
        try
        {
            callback();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCallbackFailed(ex);
        }
    }

    /// <summary>Completes the flushes whose events all left the queue and the batch in flight. Called under the gate.</summary>
    private void SettleFlushes()
    {
        var pendingFrom = Math.Min(_inFlightFrom, _queue.TryPeek(out var head) ? head.Seq : long.MaxValue);
        for (var i = _flushes.Count - 1; i >= 0; i--)
        {
            if (_flushes[i].Through >= pendingFrom) continue;
            _flushes[i].Done.TrySetResult();
            _flushes.RemoveAt(i);
        }
    }

    private sealed record Queued(long Seq, TelemetryEvent Event);

    private sealed record Attempt(bool Retry, int? Status, TimeSpan? RetryAfter, string Reason)
    {
        public static readonly Attempt Delivered = new(false, 200, null, "") { Done = true };

        public bool Done { get; private init; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telemetry: the queue is full ({MaxQueueSize} events); dropped the oldest, {EventId}")]
    private partial void LogDropped(int maxQueueSize, Guid eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Telemetry: a batch of {Count} events was not taken ({Status}: {Reason}); retrying in {DelayMs:F0} ms")]
    private partial void LogRetrying(int count, int? status, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telemetry: event {EventId} was refused: {Errors}")]
    private partial void LogRejected(Guid eventId, string errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "Telemetry: {Count} events could not be delivered: {Reason}")]
    private partial void LogFailed(int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telemetry: a delivery callback threw")]
    private partial void LogCallbackFailed(Exception ex);
}
