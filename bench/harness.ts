import { performance } from 'node:perf_hooks';

export interface BenchResult {
  bench: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  /** Free-form context printed for people (not in the JSON line's required keys). */
  note?: string;
}

export interface Bench {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<BenchResult> | BenchResult;
}

export interface BenchOptions {
  /** Seconds to spend measuring each variant. */
  seconds: number;
}

/**
 * Repeats `once` (which processes `units` items) until `seconds` have passed, after a warm-up,
 * and returns items per second.
 */
export function rate(once: () => number, seconds: number): number {
  const warmUntil = performance.now() + Math.min(500, seconds * 250);
  while (performance.now() < warmUntil) once();
  let items = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  do {
    items += once();
    now = performance.now();
  } while (now < end);
  return items / ((now - start) / 1000);
}

/** `rate` for work that is asynchronous (worker threads, simulated time). */
export async function rateAsync(once: () => Promise<number>, seconds: number): Promise<number> {
  const warmUntil = performance.now() + Math.min(500, seconds * 250);
  while (performance.now() < warmUntil) await once();
  let items = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  do {
    items += await once();
    now = performance.now();
  } while (now < end);
  return items / ((now - start) / 1000);
}

export function withRatio(result: Omit<BenchResult, 'ratio'>): BenchResult {
  if (result.baseline === undefined || result.baseline === 0) return result;
  return { ...result, ratio: Number((result.value / result.baseline).toFixed(3)) };
}
