// The windows and series buckets the gateway answers for, from its one table (MetricsWindows in
// grains.interfaces), which the gateway writes into the page: a new window needs no change here.

interface WindowRow {
  name: string;
  label: string;
}

interface BucketRow {
  name: string;
  label: string;
  seconds: number;
}

interface WindowTable {
  windows: WindowRow[];
  buckets: BucketRow[];
}

function readTable(): WindowTable {
  const text = document.getElementById('metrics-windows')?.textContent ?? '';
  try {
    const table = JSON.parse(text) as WindowTable;
    if (Array.isArray(table.windows) && Array.isArray(table.buckets)) return table;
  } catch {
    // Served without the gateway (a bare file): the default window alone keeps the page usable.
  }
  return { windows: [{ name: '24h', label: 'last 24 hours' }], buckets: [] };
}

const table = readTable();

/** The windows a view offers, shortest first. */
export const WINDOWS: readonly string[] = table.windows.map(w => w.name);

export function windowLabel(window: string): string {
  return table.windows.find(w => w.name === window)?.label ?? window;
}

export function bucketLabel(bucket: string): string {
  return table.buckets.find(b => b.name === bucket)?.label ?? bucket;
}

export function bucketSeconds(bucket: string): number | undefined {
  return table.buckets.find(b => b.name === bucket)?.seconds;
}
