// Numbers and times as the page shows them, in the reader's locale.

import { bucketLabel, windowLabel } from './windows';

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

/** A bucket's length as a noun ("minute", "5 minutes"), from the gateway's table. */
export function bucketName(bucket: string): string {
  return bucketLabel(bucket);
}

/** A bucket's length with its count ("one minute", "5 minutes"). */
export function bucketLength(bucket: string): string {
  const label = bucketLabel(bucket);
  return /^\d/.test(label) ? label : `one ${label}`;
}

/** A window as prose ("last 24 hours"), from the gateway's table. */
export function windowName(window: string): string {
  return windowLabel(window);
}
