// Pieces that the overview and the user view share: the tiles and the sortable categories table.

import { h, replaceRows } from './dom';
import { formatCount, formatDuration, formatRate } from './format';
import { WINDOWS, type Category, type MetricsWindow, type Totals } from './types';
import { eventsLink } from './routes';

/** A view's choice of window (15m to 30d): one radio button each, in a fieldset, so that arrow keys move between them. */
export class WindowChoice {
  private readonly radios: HTMLInputElement[];

  constructor(fieldset: HTMLElement, onChoose: (window: MetricsWindow) => void, signal: AbortSignal) {
    this.radios = WINDOWS.map(window => h('input', { type: 'radio', name: fieldset.id, value: window }));
    // replaceChildren: a session after a sign-out builds its views again on the same page.
    fieldset.replaceChildren(h('legend', {}, 'Window'), ...this.radios.map(radio => h('label', {}, radio, h('span', {}, radio.value))));
    fieldset.addEventListener('change', event => onChoose((event.target as HTMLInputElement).value as MetricsWindow), { signal });
  }

  show(window: MetricsWindow): void {
    for (const radio of this.radios) radio.checked = radio.value === window;
  }
}

const tileDefinitions = [
  { key: 'total', label: 'Events', value: (t: Totals) => formatCount(t.total) },
  { key: 'success-rate', label: 'Success rate', value: (t: Totals) => formatRate(t.success_rate) },
  { key: 'failures', label: 'Failures', value: (t: Totals) => formatCount(t.failure) },
  { key: 'avg-duration', label: 'Average duration', value: (t: Totals) => formatDuration(t.avg_duration_ms) },
] as const;

/** Four tiles: events, success rate, failures, average duration. */
export class Tiles {
  private readonly values = new Map<string, HTMLElement>();

  constructor(private readonly host: HTMLElement, idPrefix: string) {
    host.replaceChildren(
      ...tileDefinitions.map(tile => {
        const value = h('p', { class: 'tile-value', 'aria-describedby': `${idPrefix}-${tile.key}-label` }, '…');
        this.values.set(tile.key, value);
        return h('div', { class: 'tile', 'data-testid': `${idPrefix}-${tile.key}` },
          h('p', { class: 'tile-label', id: `${idPrefix}-${tile.key}-label` }, tile.label), value);
      }),
    );
    host.setAttribute('aria-busy', 'true');
  }

  update(totals: Totals | null): void {
    for (const tile of tileDefinitions) {
      const value = this.values.get(tile.key);
      if (value) value.textContent = totals ? tile.value(totals) : '…';
    }
    this.host.setAttribute('aria-busy', String(totals === null));
  }
}

type SortKey = 'type' | 'count' | 'success_rate' | 'failure' | 'avg_duration_ms';

const columns: { key: SortKey; label: string; numeric: boolean; format: (c: Category) => string }[] = [
  { key: 'type', label: 'Category', numeric: false, format: c => c.type },
  { key: 'count', label: 'Events', numeric: true, format: c => formatCount(c.count) },
  { key: 'success_rate', label: 'Success rate', numeric: true, format: c => formatRate(c.success_rate) },
  { key: 'failure', label: 'Failures', numeric: true, format: c => formatCount(c.failure) },
  { key: 'avg_duration_ms', label: 'Avg duration', numeric: true, format: c => formatDuration(c.avg_duration_ms) },
];

/** A table of categories that sorts by any column; the sort survives live updates. */
export class CategoryTable {
  private sortKey: SortKey = 'count';
  private descending = true;
  private rows: Category[] = [];
  private emptyText = '';
  private readonly body: HTMLTableSectionElement;
  private readonly headers = new Map<SortKey, HTMLTableCellElement>();

  constructor(private readonly table: HTMLTableElement, caption: string) {
    this.body = h('tbody');
    const headRow = h('tr');
    for (const column of columns) {
      const button = h('button', { type: 'button', class: 'sort' }, column.label);
      button.addEventListener('click', () => this.sortBy(column.key));
      const header = h('th', { scope: 'col', class: column.numeric ? 'num' : undefined }, button);
      this.headers.set(column.key, header);
      headRow.append(header);
    }
    table.replaceChildren(h('caption', { class: 'visually-hidden' }, caption), h('thead', {}, headRow), this.body);
    this.markSort();
  }

  update(categories: Category[], emptyText: string): void {
    this.rows = categories;
    this.emptyText = emptyText;
    this.render();
  }

  loading(): void {
    this.body.replaceChildren(h('tr', {}, h('td', { colspan: String(columns.length), class: 'empty-row' }, 'Loading…')));
  }

  private sortBy(key: SortKey): void {
    // A new column starts in its natural order: names A to Z, numbers largest first.
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = key !== 'type';
    }
    this.markSort();
    this.render();
  }

  private markSort(): void {
    for (const [key, header] of this.headers) {
      if (key === this.sortKey) header.setAttribute('aria-sort', this.descending ? 'descending' : 'ascending');
      else header.removeAttribute('aria-sort');
    }
  }

  private render(): void {
    if (this.rows.length === 0) {
      this.body.replaceChildren(h('tr', {}, h('td', { colspan: String(columns.length), class: 'empty-row' }, this.emptyText)));
      return;
    }
    const key = this.sortKey;
    const direction = this.descending ? -1 : 1;
    const sorted = [...this.rows].sort((a, b) => {
      if (key === 'type') return direction * a.type.localeCompare(b.type);
      // Categories without a value (no status, no duration) go last whatever the direction.
      const x = a[key];
      const y = b[key];
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return direction * (x - y) || a.type.localeCompare(b.type);
    });
    replaceRows(this.body,
      sorted.map(c =>
        h('tr', { 'data-category': c.type },
          h('th', { scope: 'row', class: 'row-title wrap' }, h('a', { href: eventsLink({ type: c.type }) }, c.type)),
          ...columns.slice(1).map(column =>
            h('td', { class: 'num', 'data-label': column.label }, column.format(c))),
        ),
      ),
      'data-category',
    );
  }
}
