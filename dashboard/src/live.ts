// /v1/stream consumed with fetch() and a stream reader: EventSource cannot send the Authorization
// header, and the key must not go into a URL. Reconnects with exponential backoff and jitter.

import { ApiError, type Api } from './api';
import type { LiveMetrics } from './types';

export type LiveState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'live' }
  | { kind: 'lost'; attempt: number; retryAt: number; reason: string }
  | { kind: 'stopped' };

export interface LiveHandlers {
  metrics(metrics: LiveMetrics): void;
  heartbeat(): void;
  state(state: LiveState): void;
  /** The key was refused (401/403): reconnecting would be refused too. */
  rejected(error: ApiError): void;
}

/** One server-sent event: its type and its data lines joined. */
export interface ServerSentEvent {
  type: string;
  data: string;
}

// The gateway sends a heartbeat after 15 s without a push: three missed heartbeats mean the connection is gone.
const SILENCE_LIMIT_MS = 45_000;
const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 30_000;

export class LiveStream {
  private stopped = false;
  /** Set by a connection once it delivers an event: it was healthy, however it ended. */
  private delivered = false;
  private connection: AbortController | null = null;
  private wakeUp: (() => void) | null = null;
  private skipNextWait = false;

  constructor(private readonly api: Api, private readonly handlers: LiveHandlers) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.connection?.abort();
    this.wakeUp?.();
    this.handlers.state({ kind: 'stopped' });
  }

  /** Skips the backoff wait: the one under way, or else the next one. */
  reconnectNow(): void {
    if (this.wakeUp) this.wakeUp();
    else this.skipNextWait = true;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      attempt += 1;
      this.handlers.state({ kind: 'connecting', attempt });
      let reason: string;
      this.delivered = false;
      try {
        await this.listen();
        reason = 'The gateway closed the live stream.';
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof ApiError && error.rejectsKey) {
          this.stopped = true;
          this.handlers.rejected(error);
          return;
        }
        reason = error instanceof ApiError ? error.message : 'The connection to the gateway was lost.';
      }
      if (this.stopped) return;
      // A connection that carried events was healthy: the backoff starts from the beginning.
      if (this.delivered) attempt = 0;
      const delay = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1)) * (0.5 + Math.random() / 2);
      this.handlers.state({ kind: 'lost', attempt: attempt + 1, retryAt: Date.now() + delay, reason });
      await this.sleep(delay);
    }
  }

  /** Reads one connection until it ends. */
  private async listen(): Promise<void> {
    const connection = new AbortController();
    this.connection = connection;
    let silence = setTimeout(() => connection.abort(), SILENCE_LIMIT_MS);
    try {
      const response = await this.api.send('v1/stream', {}, 'text/event-stream', connection.signal);
      if (!response.body) throw new ApiError(0, 'The live stream has no body.');
      const parser = new EventStreamParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        clearTimeout(silence);
        silence = setTimeout(() => connection.abort(), SILENCE_LIMIT_MS);
        for (const event of parser.push(value)) {
          if (!this.delivered) this.handlers.state({ kind: 'live' });
          this.delivered = true;
          this.dispatch(event);
        }
      }
    } finally {
      clearTimeout(silence);
      connection.abort();
      this.connection = null;
    }
  }

  private dispatch(event: ServerSentEvent): void {
    if (event.type === 'metrics') this.handlers.metrics(JSON.parse(event.data) as LiveMetrics);
    else if (event.type === 'heartbeat') this.handlers.heartbeat();
  }

  private sleep(ms: number): Promise<void> {
    if (this.skipNextWait) {
      this.skipNextWait = false;
      return Promise.resolve();
    }
    return new Promise(resolve => {
      const finish = (): void => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = finish;
    });
  }
}

/** The text/event-stream format (HTML's server-sent events), fed in chunks as they arrive. */
export class EventStreamParser {
  private buffer = '';
  private type = '';
  private data: string[] = [];

  push(chunk: string): ServerSentEvent[] {
    this.buffer += chunk;
    const events: ServerSentEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer.endsWith('\r'))) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): ServerSentEvent | null {
    if (line === '') {
      const event = this.data.length > 0 ? { type: this.type || 'message', data: this.data.join('\n') } : null;
      this.type = '';
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    return null;
  }
}
