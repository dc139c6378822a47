// Numbers and times as the page shows them, in the reader's locale.

const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percents = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const oneDecimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const twoDecimals = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dateTimes = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortDateTimes = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export const NONE = '—';

export function formatCount(value: number): string {
  return counts.format(value);
}

export function formatRate(rate: number | null): string {
  return rate === null ? NONE : percents.format(rate);
}

/** Milliseconds under ten keep a decimal, under a second none; a second and more are shown in seconds. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return NONE;
  if (ms < 10) return `${oneDecimal.format(ms)} ms`;
  if (ms < 1000) return `${counts.format(ms)} ms`;
  return `${twoDecimals.format(ms / 1000)} s`;
}

export function formatDateTime(iso: string | null): string {
  return iso === null ? NONE : dateTimes.format(new Date(iso));
}

export function formatShortDateTime(iso: string): string {
  return shortDateTimes.format(new Date(iso));
}

const bucketNames: Record<string, string> = { '1m': 'minute', '5m': '5 minutes', '1h': 'hour', '1d': 'day' };

export function bucketName(bucket: string): string {
  return bucketNames[bucket] ?? bucket;
}

const bucketLengths: Record<string, string> = { '1m': 'one minute', '5m': 'five minutes', '1h': 'one hour', '1d': 'one day' };

export function bucketLength(bucket: string): string {
  return bucketLengths[bucket] ?? bucket;
}

const windowNames: Record<string, string> = { '15m': 'last 15 minutes', '1h': 'last hour', '24h': 'last 24 hours', '7d': 'last 7 days', '30d': 'last 30 days' };

export function windowName(window: string): string {
  return windowNames[window] ?? window;
}
