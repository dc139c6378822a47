// The gateway's /v1 answers, as README.md's API section documents them.

import { WINDOWS } from './windows';

export { WINDOWS };

/** A window's name, one of {@link WINDOWS}. */
export type MetricsWindow = string;

export interface Totals {
  total: number;
  success: number;
  failure: number;
  success_rate: number | null;
  avg_duration_ms: number | null;
}

export interface Overview extends Totals {
  window: string;
  from: string | null;
  as_of: string;
}

export interface Category {
  type: string;
  count: number;
  success: number;
  failure: number;
  success_rate: number | null;
  avg_duration_ms: number | null;
}

export interface CategoryList {
  window: string;
  data: Category[];
}

export interface Bucket {
  start: string;
  count: number;
  success: number;
  failure: number;
  avg_duration_ms: number | null;
}

export interface TimeSeries {
  window: string;
  bucket: string;
  data: Bucket[];
  from: string | null;
  as_of: string;
}

export interface UserMetrics extends Totals {
  user_id: string;
  window: string;
  categories: Category[];
  first_seen: string | null;
  last_seen: string | null;
}

export interface TelemetryEvent {
  id: string;
  type: string;
  status: string | null;
  user_id: string | null;
  session_id: string | null;
  environment: string | null;
  timestamp: string;
  duration_ms: number | null;
  properties: Record<string, unknown>;
  received_at: string;
}

export interface EventPage {
  data: TelemetryEvent[];
  next_cursor: string | null;
}

/** The data of a `metrics` event on /v1/stream: always the 24h window. */
export interface LiveMetrics {
  overview: Overview;
  categories: Category[];
}

export function isMetricsWindow(value: string | null): value is MetricsWindow {
  return WINDOWS.includes(value ?? '');
}

/** An alert rule as /v1/alerts lists it. */
export interface AlertRule {
  id: string;
  name: string;
  metric: string;
  category: string | null;
  window: string;
  comparison: string;
  threshold: number;
  severity: string;
  targets: string[];
  enabled: boolean;
  state: 'ok' | 'firing';
  changes: number;
  state_changed_at: string | null;
}

/** One delivery of a firing or resolution to one webhook target. */
export interface AlertDelivery {
  id: number;
  state: 'firing' | 'resolved';
  value: number | null;
  target: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  created_at: string;
}

/** What one surface took in one bucket, or (without start and surface) in the whole span: /v1/usage. */
export interface UsageBucket {
  start: string | null;
  surface: string | null;
  accepted: number;
  duplicates: number;
  rejected: number;
  rejected_by: Record<string, number>;
  rate_limited: number;
  bytes_received: number;
}

export interface Usage {
  from: string;
  to: string;
  bucket: '1h' | '1d';
  data: UsageBucket[];
  totals: UsageBucket;
}
