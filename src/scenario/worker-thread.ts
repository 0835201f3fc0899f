import { parentPort, workerData } from 'node:worker_threads';
import type { RunEvent } from '../evidence/events.ts';
import type { Outcome } from '../evidence/outcome.ts';
import { runAttempt, type Job } from './attempt.ts';
import type { Rig } from './rig.ts';
import { premisesFactoryFor } from './simulated-premises.ts';

/** What a pool worker is started with. */
export interface WorkerSetup {
  readonly rig: Rig;
  readonly seed: number | string;
  readonly namespace: string;
}

/** Main thread → worker: run one attempt of a job, after those sent before it. */
export interface RunRequest {
  readonly id: number;
  readonly job: Job;
  readonly attempt: number;
}

/** Worker → main thread: an attempt's events in the order they happened, then its outcome; or why the worker stops. */
export type WorkerReport =
  | { readonly type: 'events'; readonly id: number; readonly events: readonly RunEvent[] }
  | { readonly type: 'done'; readonly id: number; readonly outcome: Outcome }
  | { readonly type: 'crash'; readonly reason: string };

/** Events are sent in batches: a message per event would cost more than the event. */
const BATCH = 64;

/**
 * The worker side of the pool: runs attempts one after another on premises of its own (the rig's bus shared, the
 * clock and devices its own) and sends their events back. Something thrown outside any attempt still has the
 * events made so far sent before the worker stops, so nothing the scenario did is lost.
 */
export function serveAttempts(): void {
  const port = parentPort;
  if (!port) throw new Error('serveAttempts runs in a worker thread');
  const setup = workerData as WorkerSetup;
  const premises = premisesFactoryFor(setup.rig, { seed: setup.seed, namespace: setup.namespace });
  let pending: RunEvent[] = [];
  let current = 0;
  const flush = () => {
    if (pending.length === 0) return;
    port.postMessage({ type: 'events', id: current, events: pending } satisfies WorkerReport);
    pending = [];
  };
  const emit = (event: RunEvent) => {
    if (pending.push(event) >= BATCH) flush();
  };
  process.on('uncaughtException', (e) => {
    flush();
    port.postMessage({ type: 'crash', reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } satisfies WorkerReport);
    process.exit(1);
  });
  const queue: RunRequest[] = [];
  let running = false;
  const drain = async () => {
    running = true;
    for (let request = queue.shift(); request; request = queue.shift()) {
      current = request.id;
      const outcome = await runAttempt(request.job, request.attempt, { premises, seed: setup.seed, emit });
      flush();
      port.postMessage({ type: 'done', id: request.id, outcome } satisfies WorkerReport);
    }
    running = false;
  };
  port.on('message', (request: RunRequest) => {
    queue.push(request);
    if (!running) void drain();
  });
}
