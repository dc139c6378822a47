// Telemetry's client for browsers and Node.js 18+: one file, no runtime dependencies.
import { uuidv7 } from "./uuidv7.js";
import { retryDelay, retryAfter } from "./retry.js";

export { uuidv7 } from "./uuidv7.js";
export { retryDelay, retryAfter } from "./retry.js";

/** Whether what the event records succeeded; metrics count success rates from it. */
export type EventStatus = "success" | "failure";

/** An event as the native API takes it; `id` and `timestamp` are filled in when left out. */
export interface TelemetryEvent {
  id?: string;
  type: string;
  status?: EventStatus;
  user_id?: string;
  session_id?: string;
  environment?: string;
  timestamp?: string | Date;
  duration_ms?: number;
  properties?: Record<string, unknown>;
}

/** An event as queued and sent: its id made here (UUID v7), so that a batch sent twice is stored once. */
export interface QueuedEvent extends TelemetryEvent {
  id: string;
  timestamp: string;
}

/** A rule of the server's that an event broke. */
export interface FieldError {
  field: string;
  message: string;
}

/** An event the server refused (422): never retried; its neighbours in the batch are stored. */
export interface Rejection {
  event: QueuedEvent;
  errors: FieldError[];
}

/** Events that could not be delivered: a refusal retrying cannot mend, retries used up, or shut down first. */
export interface DeliveryFailure {
  events: QueuedEvent[];
  status?: number;
  reason: string;
}

export interface ClientOptions {
  /** The gateway's base address, e.g. `https://telemetry.example.com/`. */
  endpoint: string;
  /** A key with the `ingest` scope (in a browser, ingest only). */
  apiKey: string;
  /** Events queued that make a batch go at once (default 20). */
  flushAt?: number;
  /** Longest an event waits, in ms (default 10 s in Node.js, 3 s in a browser). */
  flushInterval?: number;
  /** Events held at most; past it the oldest is dropped, counted and warned of (default 1,000). */
  maxQueueSize?: number;
  /** Most events a request (default 1,000, the server's most). */
  maxBatchSize?: number;
  /** Retries after a network error, a timeout, 408, 429 or 5xx before a batch is reported failed (default 10). */
  maxRetries?: number;
  /** First retry's wait in ms, doubled each time with jitter (default 500) up to `retryMaxDelay` (default 30,000). */
  retryBaseDelay?: number;
  retryMaxDelay?: number;
  /** Longest wait for one answer, in ms (default 10,000). */
  requestTimeout?: number;
  /** Gzip request bodies where the platform can (default true); never on page hide, which must send at once. */
  gzip?: boolean;
  /** In a browser, send what is queued when the page is hidden or left (default true). */
  flushOnPageHide?: boolean;
  onRejected?: (rejection: Rejection) => void;
  onFailed?: (failure: DeliveryFailure) => void;
  /** Told of each event dropped because the queue was full (the oldest). */
  onDropped?: (event: QueuedEvent) => void;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
}

export interface Stats {
  enqueued: number;
  delivered: number;
  duplicates: number;
  rejected: number;
  failed: number;
  dropped: number;
  retries: number;
  queued: number;
}

interface BatchAnswer {
  results: { index: number; id: string | null; status: "accepted" | "duplicate" | "rejected"; errors?: FieldError[] }[];
}

interface Attempt {
  done: boolean;
  retry: boolean;
  status?: number;
  retryAfter?: number;
  reason: string;
}

/** Browsers give keepalive requests 64 KiB in all; a page-hide batch stays under it. */
const KEEPALIVE_BYTES = 60 * 1024;
const isBrowser = typeof window !== "undefined" && typeof document !== "undefined";

/**
 * Sends events to a Telemetry gateway in batches. `enqueue` never blocks nor throws for a full queue (the oldest event
 * goes, counted); a batch goes when `flushAt` events wait or `flushInterval` passed; what the server could not take is
 * retried with backoff, jitter and its Retry-After; what it refused is reported per event. `flush()` and `shutdown()`
 * resolve once what was queued before them is answered.
 */
export class TelemetryClient {
  private readonly options: Required<Omit<ClientOptions, "onRejected" | "onFailed" | "onDropped" | "fetch">> & ClientOptions;
  private readonly batchUrl: string;
  private readonly queue: { seq: number; event: QueuedEvent }[] = [];
  private readonly flushes: { through: number; done: () => void }[] = [];
  private readonly counts = { delivered: 0, duplicates: 0, rejected: 0, failed: 0, dropped: 0, retries: 0 };
  private readonly inFlight = new Set<number>();
  private lastSeq = 0;
  private sending: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushNow = false;
  private closed = false;
  private readonly onHide = () => this.sendOnHide();

  constructor(options: ClientOptions) {
    if (!options.endpoint) throw new Error("Telemetry: endpoint is required (the gateway's base address).");
    if (!options.apiKey) throw new Error("Telemetry: apiKey is required (a key with the ingest scope).");
    this.options = {
      flushAt: 20,
      flushInterval: isBrowser ? 3_000 : 10_000,
      maxQueueSize: 1_000,
      maxBatchSize: 1_000,
      maxRetries: 10,
      retryBaseDelay: 500,
      retryMaxDelay: 30_000,
      requestTimeout: 10_000,
      gzip: true,
      flushOnPageHide: true,
      ...options,
    };
    const { flushAt, maxBatchSize, maxQueueSize } = this.options;
    if (!(flushAt >= 1 && flushAt <= 1000)) throw new RangeError("Telemetry: flushAt must be 1 to 1,000.");
    if (!(maxBatchSize >= 1 && maxBatchSize <= 1000)) throw new RangeError("Telemetry: maxBatchSize must be 1 to 1,000.");
    if (!(maxQueueSize >= 1)) throw new RangeError("Telemetry: maxQueueSize must be at least 1.");
    this.batchUrl = new URL("v1/events/batch", options.endpoint.endsWith("/") ? options.endpoint : options.endpoint + "/").toString();
    if (isBrowser && this.options.flushOnPageHide) {
      // visibilitychange is the last event a mobile browser reliably fires; pagehide covers leaving on desktop.
      document.addEventListener("visibilitychange", this.visibilityListener);
      window.addEventListener("pagehide", this.onHide);
    }
  }

  /** What the client did so far. */
  get stats(): Stats {
    return { enqueued: this.lastSeq, queued: this.queue.length, ...this.counts };
  }

  /** Queues an event and answers its id; undefined when the client was shut down (the event is counted dropped). */
  enqueue(event: TelemetryEvent): string | undefined {
    if (this.closed) {
      this.counts.dropped++;
      return undefined;
    }
    const queued: QueuedEvent = {
      ...event,
      id: event.id ?? uuidv7(),
      timestamp: event.timestamp instanceof Date ? event.timestamp.toISOString() : (event.timestamp ?? new Date().toISOString()),
    };
    this.queue.push({ seq: ++this.lastSeq, event: queued });
    if (this.queue.length > this.options.maxQueueSize) {
      const oldest = this.queue.shift()!;
      this.counts.dropped++;
      console.warn(`Telemetry: the queue is full (${this.options.maxQueueSize} events); dropped the oldest, ${oldest.event.id}`);
      this.report(() => this.options.onDropped?.(oldest.event));
      this.settleFlushes();
    }
    if (this.queue.length >= this.options.flushAt) this.pump();
    else this.schedule();
    return queued.id;
  }

  /** Resolves when every event queued before the call was delivered, refused, reported failed or dropped. */
  flush(): Promise<void> {
    const done = new Promise<void>((resolve) => this.flushes.push({ through: this.lastSeq, done: resolve }));
    this.flushNow = true;
    this.settleFlushes();
    this.pump();
    return done;
  }

  /** Stops taking events and delivers those queued; idempotent. */
  async shutdown(): Promise<void> {
    this.closed = true;
    if (isBrowser) {
      document.removeEventListener("visibilitychange", this.visibilityListener);
      window.removeEventListener("pagehide", this.onHide);
    }
    await this.flush();
    clearTimeout(this.timer);
  }

  private readonly visibilityListener = () => {
    if (document.visibilityState === "hidden") this.sendOnHide();
  };

  private schedule(): void {
    if (this.timer !== undefined || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushNow = true;
      this.pump();
    }, this.options.flushInterval);
    // An idle client must not keep a Node.js process alive; flush() and shutdown() wait for what they must.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Starts the sender unless it runs; it sends while a full batch waits or a flush asked. */
  private pump(): void {
    if (this.sending) return;
    const run = this.send();
    this.sending = run;
    // Settled callbacks run after this assignment even when the run had nothing to do.
    void run.finally(() => {
      if (this.sending === run) this.sending = undefined;
      this.settleFlushes();
      this.schedule();
      // A flush that came while the last batch was answered still finds its events queued: go on.
      if (this.flushNow && this.queue.length > 0) this.pump();
    });
  }

  private async send(): Promise<void> {
    while (this.queue.length > 0 && (this.flushNow || this.closed || this.queue.length >= this.options.flushAt)) {
      const batch = this.take(this.options.maxBatchSize, Infinity);
      await this.deliver(batch.map((q) => q.event), false);
      for (const q of batch) this.inFlight.delete(q.seq);
      this.settleFlushes();
    }
    if (this.queue.length === 0) this.flushNow = false;
  }

  /** The page is going away: send what is queued at once, in keepalive requests the browser completes after unload. */
  private sendOnHide(): void {
    // Browsers cap what keepalive requests carry in all (64 KiB): one batch under it is what is sure to leave. What
    // stays queued goes with the next flush if the page lives on (hidden, then shown again).
    const batch = this.take(this.options.maxBatchSize, KEEPALIVE_BYTES);
    if (batch.length === 0) return;
    void this.deliver(batch.map((q) => q.event), true).then(() => {
      for (const q of batch) this.inFlight.delete(q.seq);
      this.settleFlushes();
    });
  }

  /** Takes the oldest events, up to a count and (roughly) a size in bytes of JSON. */
  private take(count: number, bytes: number): { seq: number; event: QueuedEvent }[] {
    const batch: { seq: number; event: QueuedEvent }[] = [];
    let size = 16;
    while (batch.length < count && this.queue.length > 0) {
      const next = this.queue[0]!;
      const length = bytes === Infinity ? 0 : JSON.stringify(next.event).length + 1;
      if (batch.length > 0 && size + length > bytes) break;
      size += length;
      batch.push(this.queue.shift()!);
      this.inFlight.add(next.seq);
    }
    return batch;
  }

  /** Sends one batch until it is answered; never throws. */
  private async deliver(batch: QueuedEvent[], keepalive: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.sendOnce(batch, keepalive).catch((error: unknown): Attempt => ({
        done: false,
        retry: true,
        reason: error instanceof Error ? error.message : String(error),
      }));
      if (outcome.done) return;
      if (outcome.status === 413 && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.deliver(batch.slice(0, half), keepalive);
        await this.deliver(batch.slice(half), keepalive);
        return;
      }
      if (!outcome.retry || attempt >= this.options.maxRetries) {
        this.fail(batch, outcome.status, outcome.retry ? `gave up after ${attempt + 1} attempts: ${outcome.reason}` : outcome.reason);
        return;
      }
      this.counts.retries++;
      await sleep(retryDelay(attempt, this.options.retryBaseDelay, this.options.retryMaxDelay, outcome.retryAfter));
    }
  }

  private async sendOnce(batch: QueuedEvent[], keepalive: boolean): Promise<Attempt> {
    const json = JSON.stringify({ events: batch });
    const headers: Record<string, string> = { "Content-Type": "application/json", Authorization: `Bearer ${this.options.apiKey}` };
    let body: BodyInit = json;
    if (this.options.gzip && !keepalive && typeof CompressionStream !== "undefined") {
      body = await gzip(json);
      headers["Content-Encoding"] = "gzip";
    }
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), this.options.requestTimeout);
    try {
      const doFetch = this.options.fetch ?? fetch;
      const response = await doFetch(this.batchUrl, { method: "POST", headers, body, keepalive, signal: controller.signal });
      if (response.status === 200 || response.status === 422) {
        const answer = (await response.json().catch(() => undefined)) as BatchAnswer | undefined;
        if (answer && Array.isArray(answer.results) && answer.results.length === batch.length) {
          this.settle(batch, answer);
          return { done: true, retry: false, status: response.status, reason: "" };
        }
      } else {
        await response.body?.cancel().catch(() => undefined);
      }
      const retry = response.status === 408 || response.status === 429 || response.status >= 500;
      return { done: false, retry, status: response.status, retryAfter: retryAfter(response.headers.get("Retry-After")), reason: `${response.status} ${response.statusText}` };
    } finally {
      clearTimeout(timeout);
    }
  }

  private settle(batch: QueuedEvent[], answer: BatchAnswer): void {
    for (const result of answer.results) {
      const event = batch[result.index];
      if (!event) continue;
      if (result.status === "rejected") {
        this.counts.rejected++;
        const rejection = { event, errors: result.errors ?? [] };
        this.report(() => this.options.onRejected?.(rejection));
      } else {
        this.counts.delivered++;
        if (result.status === "duplicate") this.counts.duplicates++;
      }
    }
  }

  private fail(events: QueuedEvent[], status: number | undefined, reason: string): void {
    this.counts.failed += events.length;
    console.error(`Telemetry: ${events.length} events could not be delivered: ${reason}`);
    const failure: DeliveryFailure = status === undefined ? { events, reason } : { events, status, reason };
    this.report(() => this.options.onFailed?.(failure));
  }

  /** A caller's callback that throws must not stop the sender. */
  private report(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      console.warn("Telemetry: a delivery callback threw", error);
    }
  }

  /** Resolves the flushes whose events all left the queue and are answered. */
  private settleFlushes(): void {
    let pendingFrom = this.queue[0]?.seq ?? Infinity;
    for (const seq of this.inFlight) pendingFrom = Math.min(pendingFrom, seq);
    for (let i = this.flushes.length - 1; i >= 0; i--) {
      const flush = this.flushes[i]!;
      if (flush.through < pendingFrom) {
        this.flushes.splice(i, 1);
        flush.done();
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}
