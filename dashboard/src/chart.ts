// The events-and-failures chart: uPlot bars, failures drawn over the events of the same bucket.

import uPlot from 'uplot';
import type { TimeSeries } from './types';
import { bucketSeconds } from './windows';

const EVENTS_COLOUR = '#2563eb';
const FAILURES_COLOUR = '#b91c1c';

export class BucketChart {
  private plot: uPlot | null = null;
  private bucket = 60;

  constructor(private readonly host: HTMLElement, signal: AbortSignal) {
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
    this.host.setAttribute('aria-busy', 'false');
    this.bucket = bucketSeconds(series.bucket) ?? 60;
    const data: uPlot.AlignedData = [
      series.data.map(b => Date.parse(b.start) / 1000),
      series.data.map(b => b.count),
      series.data.map(b => b.failure),
    ];
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
        { label: 'Events', stroke: EVENTS_COLOUR, fill: 'rgba(37, 99, 235, 0.35)', width: 1, ...(bars ? { paths: bars } : {}), points: { show: false } },
        { label: 'Failures', stroke: FAILURES_COLOUR, fill: 'rgba(185, 28, 28, 0.8)', width: 1, ...(bars ? { paths: bars } : {}), points: { show: false } },
      ],
      cursor: { drag: { x: false, y: false } },
    };
  }
}
