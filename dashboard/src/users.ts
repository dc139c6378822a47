// One user's metrics for a window and their most recent events.

import { ApiError } from './api';
import { Coalescer, type SessionContext } from './context';
import { byId, notify, replaceRows, show } from './dom';
import { addEventTableHead, eventRows, placeholderRow } from './events';
import { formatDateTime } from './format';
import { CategoryTable, Tiles, WindowChoice } from './metricsViews';
import { eventsLink, userLink } from './routes';
import type { EventPage, MetricsWindow, UserMetrics } from './types';

const RECENT_EVENTS = 10;

export class UserView {
  private userId: string | null = null;
  private window: MetricsWindow = '24h';
  private active = false;
  private readonly form = byId<HTMLFormElement>('user-form');
  private readonly input = byId<HTMLInputElement>('user-input');
  private readonly message = byId('user-message');
  private readonly result = byId('user-result');
  private readonly tiles = new Tiles(byId('user-tiles'), 'user');
  private readonly categories = new CategoryTable(byId<HTMLTableElement>('user-categories'), "The user's categories in the window");
  private readonly loader = new Coalescer(() => this.load());
  private readonly windows: WindowChoice;

  constructor(private readonly session: SessionContext) {
    addEventTableHead(byId<HTMLTableSectionElement>('user-events-rows'));
    this.form.addEventListener('submit', event => {
      event.preventDefault();
      const userId = this.input.value.trim();
      if (userId) location.hash = userLink(userId, this.window);
    }, { signal: session.signal });
    this.windows = new WindowChoice(byId('user-window'), window => {
      if (this.userId) location.hash = userLink(this.userId, window);
      else this.window = window;
    }, session.signal);
  }

  show(userId: string | null, window: MetricsWindow): void {
    this.active = true;
    const changed = userId !== this.userId || window !== this.window;
    this.userId = userId;
    this.window = window;
    this.windows.show(window);
    if (!userId) {
      this.input.value = '';
      show(this.result, false);
      notify(this.message, 'Enter a user id to see their metrics and recent events.');
      return;
    }
    this.input.value = userId;
    if (changed) {
      show(this.result, false);
      notify(this.message, 'Loading…');
    }
    void this.loader.request();
  }

  hide(): void {
    this.active = false;
  }

  live(): void {
    if (this.active && this.userId) void this.loader.request();
  }

  private async load(): Promise<void> {
    const userId = this.userId;
    const window = this.window;
    if (!userId) return;
    const api = this.session.api;
    try {
      const [metrics, recent] = await Promise.all([
        api.get<UserMetrics>(`v1/users/${encodeURIComponent(userId)}/metrics`, { window }),
        api.get<EventPage>('v1/events', { user_id: userId, limit: RECENT_EVENTS }),
      ]);
      if (userId !== this.userId || window !== this.window) return;
      byId('user-title').textContent = userId;
      byId('user-span').textContent = `First seen ${formatDateTime(metrics.first_seen)} · last seen ${formatDateTime(metrics.last_seen)}`;
      this.tiles.update(metrics);
      this.categories.update(metrics.categories, 'No events of this user in the window.');
      replaceRows(byId<HTMLTableSectionElement>('user-events-rows'), recent.data.length > 0 ? eventRows(recent.data) : [placeholderRow('No events.')], 'data-event-id');
      byId<HTMLAnchorElement>('user-all-events').href = eventsLink({ user_id: userId });
      notify(this.message, null);
      show(this.result, true);
      this.session.recovered();
    } catch (error) {
      if (userId !== this.userId) return;
      if (error instanceof ApiError && error.status === 404) {
        show(this.result, false);
        notify(this.message, `This tenant has no events from the user “${userId}”.`);
      } else {
        this.session.failed(error);
      }
    }
  }
}
