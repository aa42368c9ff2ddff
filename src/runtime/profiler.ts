// wg.profile(fn): per-kernel GPU time from timestamp queries, and dispatch counts, for what fn runs.
import { getDevice } from './device';
import { BufferUsage, MapMode } from './gpuFlags';
import { commandStats, setDispatchObserver, synchronize } from './commands';

export interface KernelTiming {
  kernel: string;
  dispatches: number;
  totalMs: number;
  meanMs: number;
}

export interface ProfileReport {
  /** Kernels sorted by total GPU time, longest first (empty when timestamps are unavailable). */
  kernels: KernelTiming[];
  dispatches: number;
  submits: number;
  /** Sum of the timed dispatches' GPU time; null when the adapter has no timestamp-query. */
  gpuMs: number | null;
  wallMs: number;
}

const QUERIES_PER_SET = 2048;

/** Collects a query set's worth of timestamps at a time and reads them back at the end. */
class TimestampCollector {
  private readonly resolved: { readback: GPUBuffer; labels: string[] }[] = [];
  private querySet: GPUQuerySet | null = null;
  private labels: string[] = [];

  timestampWrites(label: string): GPUComputePassTimestampWrites | undefined {
    if (this.labels.length * 2 >= QUERIES_PER_SET) return undefined;
    this.querySet ??= getDevice().createQuerySet({ type: 'timestamp', count: QUERIES_PER_SET });
    const index = this.labels.length * 2;
    this.labels.push(label);
    return { querySet: this.querySet, beginningOfPassWriteIndex: index, endOfPassWriteIndex: index + 1 };
  }

  beforeSubmit(encoder: GPUCommandEncoder): void {
    if (!this.querySet || this.labels.length === 0) return;
    const device = getDevice();
    const bytes = this.labels.length * 2 * 8;
    const resolveBuffer = device.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const readback = device.createBuffer({ size: bytes, usage: BufferUsage.COPY_DST | BufferUsage.MAP_READ });
    encoder.resolveQuerySet(this.querySet, 0, this.labels.length * 2, resolveBuffer, 0);
    encoder.copyBufferToBuffer(resolveBuffer, 0, readback, 0, bytes);
    this.resolved.push({ readback, labels: this.labels });
    this.labels = [];
    // A fresh query set per submit keeps earlier, still unresolved writes intact.
    this.querySet = null;
  }

  async timings(): Promise<Map<string, { dispatches: number; totalMs: number }>> {
    const byKernel = new Map<string, { dispatches: number; totalMs: number }>();
    for (const { readback, labels } of this.resolved) {
      await readback.mapAsync(MapMode.READ);
      const stamps = new BigInt64Array(readback.getMappedRange());
      labels.forEach((label, i) => {
        const ms = Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6;
        const entry = byKernel.get(label) ?? { dispatches: 0, totalMs: 0 };
        entry.dispatches++;
        entry.totalMs += Math.max(0, ms);
        byKernel.set(label, entry);
      });
      readback.destroy();
    }
    return byKernel;
  }
}

export async function profile(fn: () => unknown): Promise<ProfileReport> {
  const timed = getDevice().features.has('timestamp-query');
  await synchronize();
  const collector = timed ? new TimestampCollector() : null;
  const before = commandStats();
  const start = performance.now();
  setDispatchObserver(collector);
  try {
    await fn();
    await synchronize();
  } finally {
    setDispatchObserver(null);
  }
  const wallMs = performance.now() - start;
  const after = commandStats();
  const kernels: KernelTiming[] = [];
  for (const [kernel, { dispatches, totalMs }] of (await collector?.timings()) ?? []) {
    kernels.push({ kernel, dispatches, totalMs, meanMs: totalMs / dispatches });
  }
  kernels.sort((a, b) => b.totalMs - a.totalMs);
  return {
    kernels,
    dispatches: after.dispatches - before.dispatches,
    submits: after.submits - before.submits,
    gpuMs: collector ? kernels.reduce((total, k) => total + k.totalMs, 0) : null,
    wallMs,
  };
}

/** The report as a Markdown table (for READMEs and consoles). */
export function formatProfile(report: ProfileReport): string {
  const lines = [
    `${report.dispatches} dispatches in ${report.submits} submits, wall ${report.wallMs.toFixed(1)} ms` +
      (report.gpuMs === null ? ' (no timestamp-query on this adapter)' : `, GPU ${report.gpuMs.toFixed(1)} ms`),
    '',
    '| kernel | dispatches | total ms | mean µs |',
    '|---|---:|---:|---:|',
    ...report.kernels.map((k) => `| ${k.kernel} | ${k.dispatches} | ${k.totalMs.toFixed(2)} | ${(k.meanMs * 1000).toFixed(1)} |`),
  ];
  return lines.join('\n');
}
