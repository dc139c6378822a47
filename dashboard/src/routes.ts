// The view and its settings live in the URL's fragment (#/events?type=login), so that the back
// button and links work. Only filters go there: the key never does.

import { isMetricsWindow, type MetricsWindow } from './types';

/** The explorer's filters, named as /v1/events names its query parameters. */
export interface EventFilters {
  type?: string;
  status?: string;
  user_id?: string;
  session_id?: string;
  environment?: string;
  from?: string;
  to?: string;
  limit?: string;
}

export const FILTER_NAMES = ['type', 'status', 'user_id', 'session_id', 'environment', 'from', 'to', 'limit'] as const;

export type Route =
  | { view: 'overview'; window: MetricsWindow }
  | { view: 'events'; filters: EventFilters }
  | { view: 'users'; userId: string | null; window: MetricsWindow }
  | { view: 'usage'; span: '24h' | '30d' }
  | { view: 'alerts' };

export const DEFAULT_WINDOW: MetricsWindow = '24h';

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const params = new URLSearchParams(search);
  const window = params.get('window');
  const chosenWindow = isMetricsWindow(window) ? window : DEFAULT_WINDOW;
  const [section, ...rest] = path.split('/');
  if (section === 'events') {
    const filters: EventFilters = {};
    for (const name of FILTER_NAMES) {
      const value = params.get(name);
      if (value) filters[name] = value;
    }
    return { view: 'events', filters };
  }
  if (section === 'users') {
    const userId = rest.length > 0 ? decodeURIComponent(rest.join('/')) : null;
    return { view: 'users', userId: userId || null, window: chosenWindow };
  }
  if (section === 'alerts') return { view: 'alerts' };
  if (section === 'usage') return { view: 'usage', span: params.get('span') === '30d' ? '30d' : '24h' };
  return { view: 'overview', window: chosenWindow };
}

export function overviewLink(window: MetricsWindow): string {
  return window === DEFAULT_WINDOW ? '#/overview' : `#/overview?window=${window}`;
}

export function eventsLink(filters: EventFilters): string {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value) params.set(name, value);
  }
  const search = params.toString();
  return search ? `#/events?${search}` : '#/events';
}

export function userLink(userId: string, window: MetricsWindow = DEFAULT_WINDOW): string {
  const path = `#/users/${encodeURIComponent(userId)}`;
  return window === DEFAULT_WINDOW ? path : `${path}?window=${window}`;
}

export function sameFilters(a: EventFilters, b: EventFilters): boolean {
  return FILTER_NAMES.every(name => (a[name] ?? '') === (b[name] ?? ''));
}
