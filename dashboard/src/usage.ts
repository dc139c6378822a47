// What the tenant sent: accepted, duplicate, rejected and rate-limited events and bytes, per hour over a day or per
// day over a month, as the gateways counted them (/v1/usage), with the rejections by reason and the surfaces.

import { BucketChart } from './chart';
import { Coalescer, type SessionContext } from './context';
import { byId, h, replaceRows } from './dom';
import { formatCount } from './format';
import type { Usage, UsageBucket } from './types';

export type UsageSpan = '24h' | '30d';

const SPANS: Record<UsageSpan, { label: string; bucket: '1h' | '1d'; seconds: number; days: number }> = {
  '24h': { label: 'Last 24 hours, by hour', bucket: '1h', seconds: 3600, days: 1 },
  '30d': { label: 'Last 30 days, by day', bucket: '1d', seconds: 86400, days: 30 },
};

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

const tiles: { key: string; label: string; value: (u: UsageBucket) => string }[] = [
  { key: 'accepted', label: 'Accepted', value: u => formatCount(u.accepted) },
  { key: 'duplicates', label: 'Duplicates', value: u => formatCount(u.duplicates) },
  { key: 'rejected', label: 'Rejected', value: u => formatCount(u.rejected) },
  { key: 'rate-limited', label: 'Rate-limited', value: u => formatCount(u.rate_limited) },
  { key: 'bytes', label: 'Received', value: u => formatBytes(u.bytes_received) },
];

export class UsageView {
  private active = false;
  private span: UsageSpan = '24h';
  private readonly chart: BucketChart;
  private readonly values = new Map<string, HTMLElement>();
  private readonly loader = new Coalescer(() => this.load());

  constructor(private readonly session: SessionContext) {
    this.chart = new BucketChart(byId('usage-chart'), session.signal, [
      { label: 'Accepted', stroke: '#2563eb', fill: 'rgba(37, 99, 235, 0.35)' },
      { label: 'Rejected', stroke: '#b91c1c', fill: 'rgba(185, 28, 28, 0.8)' },
      { label: 'Rate-limited', stroke: '#92400e', fill: 'rgba(146, 64, 14, 0.8)' },
    ]);
    byId('usage-tiles').replaceChildren(...tiles.map(tile => {
      const value = h('p', { class: 'tile-value', 'aria-describedby': `usage-${tile.key}-label` }, '…');
      this.values.set(tile.key, value);
      return h('div', { class: 'tile', 'data-testid': `usage-${tile.key}` }, h('p', { class: 'tile-label', id: `usage-${tile.key}-label` }, tile.label), value);
    }));
    const spans = byId('usage-span');
    spans.replaceChildren(h('legend', {}, 'Span'), ...Object.entries(SPANS).map(([span, { label }]) => {
      const input = h('input', { type: 'radio', name: 'usage-span', value: span, 'aria-label': label });
      input.addEventListener('change', () => { location.hash = span === '24h' ? '#/usage' : `#/usage?span=${span}`; }, { signal: session.signal });
      return h('label', {}, input, h('span', {}, span));
    }));
  }

  show(span: UsageSpan): void {
    this.active = true;
    this.span = span;
    for (const input of byId('usage-span').querySelectorAll<HTMLInputElement>('input')) input.checked = input.value === span;
    this.chart.loading();
    void this.loader.request();
  }

  hide(): void {
    this.active = false;
  }

  live(): void {
    if (this.active) void this.loader.request();
  }

  private async load(): Promise<void> {
    const span = SPANS[this.span];
    const to = new Date();
    const from = new Date(to.getTime() - span.days * 86_400_000);
    try {
      const usage = await this.session.api.get<Usage>('v1/usage', { from: from.toISOString(), to: to.toISOString(), bucket: span.bucket });
      if (!this.active || SPANS[this.span] !== span) return;
      for (const tile of tiles) {
        const value = this.values.get(tile.key);
        if (value) value.textContent = tile.value(usage.totals);
      }
      // Every bucket of the span, empty ones too, summed over the surfaces.
      const first = Date.parse(usage.from);
      const count = Math.ceil((Date.parse(usage.to) - first) / 1000 / span.seconds);
      const starts = Array.from({ length: count }, (_, i) => new Date(first + i * span.seconds * 1000).toISOString());
      const index = new Map(starts.map((s, i) => [Date.parse(s), i]));
      const accepted = new Array<number>(count).fill(0);
      const rejected = new Array<number>(count).fill(0);
      const limited = new Array<number>(count).fill(0);
      for (const b of usage.data) {
        const i = index.get(Date.parse(b.start ?? ''));
        if (i === undefined) continue;
        accepted[i] = (accepted[i] ?? 0) + b.accepted;
        rejected[i] = (rejected[i] ?? 0) + b.rejected;
        limited[i] = (limited[i] ?? 0) + b.rate_limited;
      }
      this.chart.draw(span.seconds, starts, [accepted, rejected, limited]);
      byId('usage-chart-summary').textContent =
        `${formatCount(usage.totals.accepted)} accepted, ${formatCount(usage.totals.rejected)} rejected and ${formatCount(usage.totals.rate_limited)} rate-limited events in the ${span.label.toLowerCase().replace(/, by .*/, '')}.`;

      const surfaces = new Map<string, UsageBucket[]>();
      for (const b of usage.data) surfaces.set(b.surface ?? '', [...(surfaces.get(b.surface ?? '') ?? []), b]);
      replaceRows(byId<HTMLTableSectionElement>('usage-surfaces-rows'), [...surfaces].map(([surface, buckets]) => {
        const sum = (pick: (b: UsageBucket) => number) => buckets.reduce((n, b) => n + pick(b), 0);
        return h('tr', { 'data-surface': surface },
          h('th', { scope: 'row', class: 'row-title' }, surface),
          h('td', { class: 'num', 'data-label': 'Accepted' }, formatCount(sum(b => b.accepted))),
          h('td', { class: 'num', 'data-label': 'Duplicates' }, formatCount(sum(b => b.duplicates))),
          h('td', { class: 'num', 'data-label': 'Rejected' }, formatCount(sum(b => b.rejected))),
          h('td', { class: 'num', 'data-label': 'Rate-limited' }, formatCount(sum(b => b.rate_limited))),
          h('td', { class: 'num', 'data-label': 'Received' }, formatBytes(sum(b => b.bytes_received))));
      }), 'data-surface');
      const reasons = Object.entries(usage.totals.rejected_by).sort((a, b) => b[1] - a[1]);
      replaceRows(byId<HTMLTableSectionElement>('usage-reasons-rows'), reasons.length > 0
        ? reasons.map(([reason, n]) => h('tr', { 'data-reason': reason }, h('th', { scope: 'row', class: 'row-title' }, reason), h('td', { class: 'num', 'data-label': 'Events' }, formatCount(n))))
        : [h('tr', {}, h('td', { colspan: '2', class: 'empty-row' }, 'No rejected events in the span.'))], 'data-reason');
      this.session.recovered();
    } catch (error) {
      this.session.failed(error);
    }
  }
}
