// Bucket charts: uPlot bars, each series drawn over the one before it in the same bucket (events and
// failures on the overview; accepted, rejected and rate-limited events on the usage page).

import uPlot from 'uplot';
import type { TimeSeries } from './types';
import { bucketSeconds } from './windows';

/** One series of bars: its legend label and its colours. */
export interface BarSeries {
  label: string;
  stroke: string;
  fill: string;
}

const EVENTS_AND_FAILURES: BarSeries[] = [
  { label: 'Events', stroke: '#2563eb', fill: 'rgba(37, 99, 235, 0.35)' },
  { label: 'Failures', stroke: '#b91c1c', fill: 'rgba(185, 28, 28, 0.8)' },
];

export class BucketChart {
  private plot: uPlot | null = null;
  private bucket = 60;

  constructor(private readonly host: HTMLElement, signal: AbortSignal, private readonly bars: BarSeries[] = EVENTS_AND_FAILURES) {
    host.replaceChildren();
    const resizing = new ResizeObserver(() => this.plot?.setSize(this.size()));
    resizing.observe(host);
    signal.addEventListener('abort', () => {
      resizing.disconnect();
      this.plot?.destroy();
    });
  }

  /** Until the next update, what is drawn belongs to another window: it is dimmed and marked busy. */
  loading(): void {
    this.host.setAttribute('aria-busy', 'true');
  }

  update(series: TimeSeries): void {
    this.draw(bucketSeconds(series.bucket) ?? 60, series.data.map(b => b.start), [series.data.map(b => b.count), series.data.map(b => b.failure)]);
  }

  /** Buckets of <paramref name="seconds"/> starting at <paramref name="starts"/>, one array of values per series. */
  draw(seconds: number, starts: string[], values: number[][]): void {
    this.host.setAttribute('aria-busy', 'false');
    this.bucket = seconds;
    const data: uPlot.AlignedData = [starts.map(s => Date.parse(s) / 1000), ...values];
    if (this.plot) this.plot.setData(data);
    else this.plot = new uPlot(this.options(), data, this.host);
  }

  private size(): { width: number; height: number } {
    const width = Math.max(240, this.host.clientWidth);
    return { width, height: width < 600 ? 200 : 260 };
  }

  private options(): uPlot.Options {
    const bars = uPlot.paths.bars?.({ size: [0.8, 48], gap: 1 });
    return {
      ...this.size(),
      // Buckets are drawn centred on their start: half a bucket of room on either side keeps the end bars whole.
      scales: { x: { time: true, range: (_, min, max) => [min - this.bucket / 2, max + this.bucket / 2] }, y: { range: (_, __, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [
        { stroke: '#374151', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#d1d5db' } },
        { stroke: '#374151', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#d1d5db' }, size: 56 },
      ],
      series: [
        {},
        ...this.bars.map(b => ({ label: b.label, stroke: b.stroke, fill: b.fill, width: 1, ...(bars ? { paths: bars } : {}), points: { show: false } })),
      ],
      cursor: { drag: { x: false, y: false } },
    };
  }
}
