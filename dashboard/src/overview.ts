// The overview: tiles, the chart and the categories of one window, kept current by the live stream.

import { BucketChart } from './chart';
import { Coalescer, type SessionContext } from './context';
import { byId, show } from './dom';
import { bucketLength, bucketName, formatCount, windowName } from './format';
import { CategoryTable, Tiles, WindowChoice } from './metricsViews';
import { overviewLink } from './routes';
import type { CategoryList, LiveMetrics, MetricsWindow, Overview, TimeSeries } from './types';

function counted(n: number, noun: string): string {
  return `${formatCount(n)} ${n === 1 ? noun : `${noun}s`}`;
}

export class OverviewView {
  private window: MetricsWindow | null = null;
  private active = false;
  // Null until known; once the tenant has an event it stays non-empty, so the check stops.
  private tenantEmpty: boolean | null = null;
  private wantsTotals = true;
  private readonly tiles = new Tiles(byId('overview-tiles'), 'overview');
  private readonly chart: BucketChart;
  private readonly windows: WindowChoice;
  private readonly categories = new CategoryTable(byId<HTMLTableElement>('categories-table'), 'Categories of the window');
  private readonly summary = byId('chart-summary');
  private readonly loader = new Coalescer(() => this.load());

  constructor(private readonly session: SessionContext) {
    this.chart = new BucketChart(byId('chart'), session.signal);
    this.windows = new WindowChoice(byId('overview-window'), window => {
      location.hash = overviewLink(window);
    }, session.signal);
    byId('empty-endpoint').textContent = session.api.url('v1/events').href;
  }

  show(window: MetricsWindow): void {
    this.active = true;
    if (window !== this.window) {
      this.window = window;
      this.tiles.update(null);
      this.categories.loading();
      this.chart.loading();
      byId('chart-bucket').textContent = 'bucket';
      this.summary.textContent = 'Loading…';
    }
    this.windows.show(window);
    this.refresh(true);
  }

  hide(): void {
    this.active = false;
  }

  /** A push from /v1/stream: its 24h figures go straight to the page; anything else is asked for. */
  live(metrics: LiveMetrics): void {
    if (metrics.overview.total > 0) this.markTenantUsed();
    if (!this.active) return;
    if (this.window === '24h') {
      this.tiles.update(metrics.overview);
      this.categories.update(metrics.categories, this.emptyWindowText());
      this.refresh(false);
    } else {
      this.refresh(true);
    }
  }

  /** The windows slide with time even without new events. */
  tick(): void {
    if (this.active) this.refresh(true);
  }

  private refresh(totals: boolean): void {
    if (totals) this.wantsTotals = true;
    void this.loader.request();
  }

  private async load(): Promise<void> {
    const window = this.window;
    if (!window) return;
    const totals = this.wantsTotals;
    this.wantsTotals = false;
    const api = this.session.api;
    try {
      const [series, overview, categories, allTime] = await Promise.all([
        api.get<TimeSeries>('v1/metrics/timeseries', { window }),
        totals ? api.get<Overview>('v1/metrics/overview', { window }) : null,
        totals ? api.get<CategoryList>('v1/metrics/categories', { window }) : null,
        this.tenantEmpty !== false ? api.get<Overview>('v1/metrics/overview', { window: 'all' }) : null,
      ]);
      // The reader chose another window meanwhile: the run that follows loads that one.
      if (window !== this.window) return;
      if (overview) this.tiles.update(overview);
      if (categories) this.categories.update(categories.data, this.emptyWindowText());
      this.showSeries(series);
      if (allTime) {
        if (allTime.total > 0) this.markTenantUsed();
        else this.tenantEmpty = true;
        show(byId('empty-tenant'), this.tenantEmpty === true);
      }
      this.session.recovered();
    } catch (error) {
      this.session.failed(error);
    }
  }

  private showSeries(series: TimeSeries): void {
    this.chart.update(series);
    const events = series.data.reduce((sum, b) => sum + b.count, 0);
    const failures = series.data.reduce((sum, b) => sum + b.failure, 0);
    byId('chart-bucket').textContent = bucketName(series.bucket);
    this.summary.textContent = `${counted(events, 'event')} and ${counted(failures, 'failure')} in the ${windowName(series.window)} (${counted(series.data.length, 'bucket')} of ${bucketLength(series.bucket)}).`;
    this.summary.dataset['events'] = String(events);
    this.summary.dataset['failures'] = String(failures);
  }

  private markTenantUsed(): void {
    this.tenantEmpty = false;
    show(byId('empty-tenant'), false);
  }

  private emptyWindowText(): string {
    return `No events in the ${windowName(this.window ?? '24h')}.`;
  }
}
