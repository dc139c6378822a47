// The event explorer: filters, cursor paging, the detail dialog and exports of the current filter.

import { ApiError } from './api';
import { Coalescer, type SessionContext } from './context';
import { byId, h, notify, replaceRows, show } from './dom';
import { NONE, formatDateTime, formatDuration, formatShortDateTime } from './format';
import { type EventFilters, FILTER_NAMES, eventsLink, sameFilters, userLink } from './routes';
import type { EventPage, TelemetryEvent } from './types';

const DEFAULT_PAGE_SIZE = '25';

function statusBadge(status: string | null): Node {
  return status ? h('span', { class: `status status--${status}` }, status) : document.createTextNode(NONE);
}

/** The columns of the events tables (the explorer's and the user view's): a heading and what an event shows there. */
const eventColumns: { label: string; numeric: boolean; content: (e: TelemetryEvent) => Node | string }[] = [
  {
    label: 'Time', numeric: false, content: e =>
      h('button', { type: 'button', class: 'link', 'data-open-event': e.id, title: `Details of this ${e.type} event` },
        h('time', { datetime: e.timestamp }, formatShortDateTime(e.timestamp))),
  },
  { label: 'Type', numeric: false, content: e => e.type },
  { label: 'Status', numeric: false, content: e => statusBadge(e.status) },
  { label: 'User', numeric: false, content: e => (e.user_id ? h('a', { href: userLink(e.user_id) }, e.user_id) : NONE) },
  { label: 'Session', numeric: false, content: e => e.session_id ?? NONE },
  { label: 'Environment', numeric: false, content: e => e.environment ?? NONE },
  { label: 'Duration', numeric: true, content: e => formatDuration(e.duration_ms) },
];

/** Puts the column headings in an events table, before its rows (again after a sign-out: once). */
export function addEventTableHead(rows: HTMLTableSectionElement): void {
  (rows.parentElement as HTMLTableElement | null)?.deleteTHead();
  rows.before(h('thead', {}, h('tr', {},
    ...eventColumns.map(column => h('th', { scope: 'col', class: column.numeric ? 'num' : undefined }, column.label)))));
}

/**
 * Table rows for events; the time is a button that opens the event's detail. The other cells carry
 * their column's name (data-label): on a narrow screen a row shows as a card whose fields they label.
 */
export function eventRows(events: TelemetryEvent[]): HTMLTableRowElement[] {
  return events.map(e =>
    h('tr', { 'data-event-id': e.id },
      ...eventColumns.map((column, index) => index === 0
        ? h('td', { class: 'row-title' }, column.content(e))
        : h('td', { class: column.numeric ? 'num' : 'wrap', 'data-label': column.label }, column.content(e))),
    ),
  );
}

export function placeholderRow(text: string): HTMLTableRowElement {
  return h('tr', {}, h('td', { colspan: String(eventColumns.length), class: 'empty-row' }, text));
}

/** The dialog with one event's fields and its properties as formatted JSON, read fresh from /v1/events/{id}. */
export class EventDetail {
  private readonly dialog = byId<HTMLDialogElement>('event-dialog');
  private readonly body = byId('event-dialog-body');
  private opened = 0;

  constructor(private readonly session: SessionContext) {
    byId('event-dialog-close').addEventListener('click', () => this.dialog.close(), { signal: session.signal });
    // A click on the backdrop lands on the dialog itself.
    this.dialog.addEventListener('click', event => {
      if (event.target === this.dialog) this.dialog.close();
    }, { signal: session.signal });
    // Rows anywhere on the page open their event.
    document.addEventListener('click', event => {
      const button = (event.target as Element | null)?.closest<HTMLElement>('[data-open-event]');
      const id = button?.dataset['openEvent'];
      if (id) void this.open(id);
    }, { signal: session.signal });
    session.signal.addEventListener('abort', () => this.dialog.close());
  }

  async open(id: string): Promise<void> {
    const opened = ++this.opened;
    byId('event-dialog-title').textContent = 'Event';
    this.body.replaceChildren(h('p', { 'aria-busy': 'true' }, 'Loading…'));
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const event = await this.session.api.get<TelemetryEvent>(`v1/events/${encodeURIComponent(id)}`);
      if (opened !== this.opened) return;
      byId('event-dialog-title').textContent = `Event ${event.type}`;
      this.body.replaceChildren(this.render(event));
    } catch (error) {
      if (opened !== this.opened) return;
      if (error instanceof ApiError && error.rejectsKey) {
        this.session.failed(error);
        return;
      }
      const message = error instanceof ApiError && error.status === 404 ? 'This event does not exist in this tenant.' : String(error instanceof Error ? error.message : error);
      this.body.replaceChildren(h('p', { class: 'notice notice--error', role: 'alert' }, message));
    }
  }

  private render(e: TelemetryEvent): DocumentFragment {
    const field = (name: string, value: Node | string) => [h('dt', {}, name), h('dd', {}, value)];
    const fragment = document.createDocumentFragment();
    fragment.append(
      h('dl', { class: 'fields' },
        ...field('Id', h('code', {}, e.id)),
        ...field('Type', e.type),
        ...field('Status', statusBadge(e.status)),
        ...field('User', e.user_id ? h('a', { href: userLink(e.user_id) }, e.user_id) : NONE),
        ...field('Session', e.session_id ?? NONE),
        ...field('Environment', e.environment ?? NONE),
        ...field('Time', h('time', { datetime: e.timestamp }, formatDateTime(e.timestamp))),
        ...field('Received', h('time', { datetime: e.received_at }, formatDateTime(e.received_at))),
        ...field('Duration', formatDuration(e.duration_ms)),
      ),
      h('h3', {}, 'Properties'),
      h('pre', { class: 'json', 'data-testid': 'event-properties', tabindex: '0' }, JSON.stringify(e.properties, null, 2)),
    );
    return fragment;
  }
}

/** `2026-11-23T06:24:04.000Z` as a datetime-local input's value, in the reader's time zone. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export class ExplorerView {
  private filters: EventFilters | null = null;
  // cursors[i] fetches page i: the first page has none; each page hands on the next one's.
  private cursors: (string | null)[] = [null];
  private page = 0;
  private nextCursor: string | null = null;
  private active = false;
  private readonly form = byId<HTMLFormElement>('filters-form');
  private readonly rows = byId<HTMLTableSectionElement>('events-rows');
  private readonly notice = byId('events-notice');
  private readonly loader = new Coalescer(() => this.load());

  constructor(private readonly session: SessionContext) {
    addEventTableHead(this.rows);
    const signal = session.signal;
    this.form.addEventListener('submit', event => {
      event.preventDefault();
      this.go(this.readForm());
    }, { signal });
    byId('filters-clear').addEventListener('click', () => this.go({}), { signal });
    byId('page-next').addEventListener('click', () => this.turn(+1), { signal });
    byId('page-previous').addEventListener('click', () => this.turn(-1), { signal });
    byId('events-newest').addEventListener('click', () => this.reload(), { signal });
    byId('export-csv').addEventListener('click', event => void this.export('csv', event.currentTarget as HTMLButtonElement), { signal });
    byId('export-parquet').addEventListener('click', event => void this.export('parquet', event.currentTarget as HTMLButtonElement), { signal });
  }

  show(filters: EventFilters): void {
    this.active = true;
    if (this.filters && sameFilters(filters, this.filters)) return;
    this.filters = filters;
    this.fillForm(filters);
    this.reload();
  }

  hide(): void {
    this.active = false;
  }

  /** New events may now match: offer them rather than moving the rows under the reader. */
  live(): void {
    if (this.active && this.filters) show(byId('events-newest-bar'), true);
  }

  /** Also the categories the tenant has, for the type field's suggestions. */
  suggestTypes(types: string[]): void {
    byId('type-options').replaceChildren(...types.map(type => h('option', { value: type })));
  }

  private go(filters: EventFilters): void {
    const link = eventsLink(filters);
    // The same filters again: the fragment does not change, so no route event comes. Load anew anyway.
    if (link === location.hash) this.reload();
    else location.hash = link;
  }

  private reload(): void {
    this.cursors = [null];
    this.page = 0;
    void this.loader.request();
  }

  private turn(step: number): void {
    if (step > 0 && this.nextCursor === null) return;
    if (step < 0 && this.page === 0) return;
    if (step > 0) this.cursors[this.page + 1] = this.nextCursor;
    this.page += step;
    void this.loader.request();
  }

  private readForm(): EventFilters {
    const data = new FormData(this.form);
    const text = (name: string) => String(data.get(name) ?? '').trim() || undefined;
    const filters: EventFilters = {};
    for (const name of ['type', 'status', 'user_id', 'session_id', 'environment'] as const) {
      const value = text(name);
      if (value) filters[name] = value;
    }
    const from = fromLocalInput(text('from') ?? '');
    const to = fromLocalInput(text('to') ?? '');
    if (from) filters.from = from;
    if (to) filters.to = to;
    const limit = text('limit');
    if (limit && limit !== DEFAULT_PAGE_SIZE) filters.limit = limit;
    return filters;
  }

  private fillForm(filters: EventFilters): void {
    for (const name of FILTER_NAMES) {
      const input = this.form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
      if (!input) continue;
      const value = filters[name] ?? (name === 'limit' ? DEFAULT_PAGE_SIZE : '');
      input.value = name === 'from' || name === 'to' ? (value ? toLocalInput(value) : '') : value;
    }
  }

  private async load(): Promise<void> {
    const filters = this.filters ?? {};
    const page = this.page;
    const cursor = this.cursors[page] ?? null;
    const limit = Number(filters.limit ?? DEFAULT_PAGE_SIZE);
    this.rows.parentElement?.setAttribute('aria-busy', 'true');
    byId('page-label').textContent = `Loading page ${page + 1}…`;
    if (this.rows.childElementCount === 0) this.rows.replaceChildren(placeholderRow('Loading events…'));
    notify(this.notice, null);
    show(byId('events-newest-bar'), false);
    try {
      const result = await this.session.api.get<EventPage>('v1/events', { ...filters, limit, cursor });
      if (filters !== this.filters || page !== this.page) return;
      this.nextCursor = result.next_cursor;
      const filtered = FILTER_NAMES.some(name => name !== 'limit' && filters[name]);
      replaceRows(this.rows, result.data.length > 0
        ? eventRows(result.data)
        : [placeholderRow(page > 0 ? 'No more events.' : filtered ? 'No events match these filters.' : 'This tenant has no events yet.')], 'data-event-id');
      const first = page * limit + 1;
      byId('page-label').textContent = result.data.length > 0
        ? `Page ${page + 1} · events ${first}–${first + result.data.length - 1}`
        : `Page ${page + 1}`;
      byId<HTMLButtonElement>('page-previous').disabled = page === 0;
      byId<HTMLButtonElement>('page-next').disabled = result.next_cursor === null;
      this.session.recovered();
    } catch (error) {
      byId('page-label').textContent = `Page ${page + 1}`;
      if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
        this.rows.replaceChildren(placeholderRow('No events shown.'));
        notify(this.notice, `The gateway refused these filters: ${error.message}`);
      } else {
        this.session.failed(error);
      }
    } finally {
      this.rows.parentElement?.setAttribute('aria-busy', 'false');
    }
  }

  private async export(format: 'csv' | 'parquet', button: HTMLButtonElement): Promise<void> {
    const { limit: _, ...filters } = this.filters ?? {};
    const label = button.textContent;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Exporting…';
    notify(this.notice, null);
    try {
      const { blob, fileName } = await this.session.api.download('v1/events/export', { ...filters, format }, `events.${format}`);
      const url = URL.createObjectURL(blob);
      const link = h('a', { href: url, download: fileName, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      // The download has taken the blob once the click's task is over.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      if (error instanceof ApiError && error.rejectsKey) this.session.failed(error);
      else notify(this.notice, `The export failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      button.textContent = label;
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}
