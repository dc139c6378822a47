// The tenant's alert rules with their state, and their recent firings and resolutions with how each was delivered.
// Read-only: rules are written through /v1/alerts with an admin key, which the dashboard never holds.

import type { SessionContext } from './context';
import { Coalescer } from './context';
import { byId, h, notify, replaceRows } from './dom';
import { formatDateTime } from './format';
import type { AlertDelivery, AlertRule } from './types';

const RECENT_PER_RULE = 5;
const RECENT_SHOWN = 20;
const REFRESH_MS = 2000;

function condition(rule: AlertRule): string {
  const scope = rule.category ? ` of ${rule.category}` : '';
  const over = rule.metric === 'silence_seconds' ? '' : ` over ${rule.window}`;
  return `${rule.metric}${scope}${over} ${rule.comparison} ${rule.threshold}`;
}

function stateBadge(state: string): HTMLElement {
  return h('span', { class: `badge badge--${state}` }, state);
}

export class AlertsView {
  private active = false;
  private readonly rules = byId<HTMLTableSectionElement>('alert-rules-rows');
  private readonly recent = byId<HTMLTableSectionElement>('alert-deliveries-rows');
  private readonly message = byId('alerts-message');
  private readonly loader = new Coalescer(() => this.load());

  constructor(private readonly session: SessionContext) {
    // A rule changes state a moment after the metrics that moved it, or with no new event at all (silence): the
    // view also asks again every few seconds while it is shown.
    const timer = window.setInterval(() => {
      if (this.active) void this.loader.request();
    }, REFRESH_MS);
    session.signal.addEventListener('abort', () => window.clearInterval(timer));
  }

  show(): void {
    this.active = true;
    void this.loader.request();
  }

  hide(): void {
    this.active = false;
  }

  /** New metrics arrived: a rule may have changed state. */
  live(): void {
    if (this.active) void this.loader.request();
  }

  private async load(): Promise<void> {
    const api = this.session.api;
    try {
      const { data: rules } = await api.get<{ data: AlertRule[] }>('v1/alerts');
      const deliveries = await Promise.all(rules.map(async rule =>
        (await api.get<{ data: AlertDelivery[] }>(`v1/alerts/${rule.id}/events`, { limit: RECENT_PER_RULE })).data.map(d => ({ rule, d }))));
      if (!this.active) return;
      notify(this.message, rules.length === 0 ? 'No alert rules yet: create them with POST /v1/alerts and an admin key (see the README).' : null);
      replaceRows(this.rules, rules.map(rule => h('tr', { 'data-rule-id': rule.id, 'data-state': rule.state },
        h('th', { scope: 'row', class: 'row-title wrap' }, rule.name),
        h('td', { class: 'wrap', 'data-label': 'Condition' }, condition(rule)),
        h('td', { 'data-label': 'Severity' }, rule.severity),
        h('td', { 'data-label': 'State' }, stateBadge(rule.enabled ? rule.state : 'disabled')),
        h('td', { 'data-label': 'Since' }, formatDateTime(rule.state_changed_at)),
        h('td', { class: 'num', 'data-label': 'Targets' }, String(rule.targets.length)))), 'data-rule-id');
      const recent = deliveries.flat().sort((a, b) => b.d.created_at.localeCompare(a.d.created_at)).slice(0, RECENT_SHOWN);
      replaceRows(this.recent, recent.map(({ rule, d }) => h('tr', { 'data-delivery-id': String(d.id) },
        h('th', { scope: 'row', class: 'row-title' }, formatDateTime(d.created_at)),
        h('td', { 'data-label': 'Rule' }, rule.name),
        h('td', { 'data-label': 'State' }, stateBadge(d.state)),
        h('td', { 'data-label': 'Value' }, d.value === null ? '—' : String(Number(d.value.toPrecision(4)))),
        h('td', { class: 'wrap', 'data-label': 'Target' }, d.target),
        h('td', { 'data-label': 'Delivery', title: d.last_error ?? '' }, `${d.status} (${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'})`))), 'data-delivery-id');
      this.session.recovered();
    } catch (error) {
      this.session.failed(error);
    }
  }
}
