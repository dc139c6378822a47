/** A server's Retry-After is honoured up to this: longer would look like a hung client. */
const MOST_RETRY_AFTER_MS = 5 * 60_000;

/** Exponential backoff with jitter (half fixed, half random), or the server's Retry-After when longer; in ms. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, retryAfterMs?: number): number {
  const capped = Math.min(baseMs * 2 ** Math.min(attempt, 30), maxMs);
  const jittered = capped / 2 + Math.random() * (capped / 2);
  return retryAfterMs !== undefined && retryAfterMs > jittered ? Math.min(retryAfterMs, MOST_RETRY_AFTER_MS) : jittered;
}

/** A Retry-After header (seconds, or an HTTP date) in ms from now; undefined when absent or unreadable. */
export function retryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
