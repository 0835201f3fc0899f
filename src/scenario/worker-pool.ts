import { Worker } from 'node:worker_threads';
import { eventTime, type RunEvent } from '../evidence/events.ts';
import type { Outcome } from '../evidence/outcome.ts';
import { emitSkipped, scenarioStart, scopeOf, type Job } from './attempt.ts';
import type { Rig } from './rig.ts';
import type { AttemptExecutor } from './runner.ts';
import type { RunRequest, WorkerReport, WorkerSetup } from './worker-thread.ts';

const WORKER_URL = new URL('./scenario-worker.mjs', import.meta.url);

/**
 * Attempts handed to one worker at a time: the one it runs and the next, so that it starts the next at once rather
 * than waiting for this thread to read the last one's events and send another.
 */
const PER_WORKER = 2;

export interface WorkerPoolOptions {
  /** Worker threads: scenarios run at once. */
  readonly size: number;
  /** A rig whose bus other threads can reach (RigPremises.shared). */
  readonly rig: Rig;
  readonly seed: number | string;
  /** The worker's entry module; the scenario worker unless a test stands in another. */
  readonly workerUrl?: URL;
}

/** What this thread has seen of an attempt a worker was given, to close it properly if the worker dies. */
interface Attempt {
  readonly id: number;
  readonly job: Job;
  readonly attempt: number;
  readonly emit: (event: RunEvent) => void;
  readonly resolve: (outcome: Outcome) => void;
  scenarioStarted: boolean;
  scenarioEnded: boolean;
  readonly started: Set<string>;
  readonly ended: Set<string>;
}

interface Slot {
  readonly worker: Worker;
  /** Attempts given to the worker, in the order it runs them. */
  readonly attempts: Attempt[];
  crash?: string;
}

/**
 * Runs scenario attempts in worker threads so that simulated premises (each on its own virtual clock) use every
 * core. A worker runs one attempt at a time; events come back in the order it made them and go into the one event
 * stream here, so the evidence log, JUnit and the console work as for a run in one thread, and a seed gives the
 * same bytes whichever worker runs a scenario. A worker that dies ends the scenario it was running in error, with
 * the steps it had not finished closed as error or skipped; what it had not started goes to another worker.
 */
export class ScenarioWorkerPool implements AttemptExecutor {
  private readonly slots: Slot[] = [];
  private readonly waiting: (() => void)[] = [];
  private spawned = 0;
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`a worker pool needs at least one worker, got ${options.size}`);
  }

  /** Attempts the pool takes at once: the runner keeps this many going to keep every worker busy. */
  get capacity(): number {
    return this.options.size * PER_WORKER;
  }

  async run(job: Job, attempt: number, emit: (event: RunEvent) => void): Promise<Outcome> {
    const slot = await this.slotWithRoom();
    return new Promise<Outcome>((resolve) => {
      const id = ++this.nextId;
      slot.attempts.push({ id, job, attempt, emit, resolve, scenarioStarted: false, scenarioEnded: false, started: new Set(), ended: new Set() });
      slot.worker.postMessage({ id, job, attempt } satisfies RunRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    await Promise.all(
      slots.map(async (slot) => {
        await slot.worker.terminate();
      }),
    );
    for (const wake of this.waiting.splice(0)) wake();
  }

  /**
   * The worker with the fewest attempts, if it has room; a new worker while there are fewer than `size` (a worker
   * leaves `slots` when it exits).
   */
  private async slotWithRoom(): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new Error('the scenario worker pool is closed');
      const least = this.slots.reduce<Slot | undefined>((best, s) => (best === undefined || s.attempts.length < best.attempts.length ? s : best), undefined);
      if (this.slots.length < this.options.size && (least === undefined || least.attempts.length > 0)) return this.spawn();
      if (least && least.attempts.length < PER_WORKER) return least;
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  private spawn(): Slot {
    const setup: WorkerSetup = { rig: this.options.rig, seed: this.options.seed, namespace: `w${++this.spawned}-` };
    const slot: Slot = { worker: new Worker(this.options.workerUrl ?? WORKER_URL, { workerData: setup }), attempts: [] };
    slot.worker.on('message', (report: WorkerReport) => this.onReport(slot, report));
    slot.worker.on('error', (e) => {
      slot.crash ??= `${e.name}: ${e.message}`;
    });
    slot.worker.on('exit', (code) => this.onExit(slot, code));
    this.slots.push(slot);
    return slot;
  }

  private onReport(slot: Slot, report: WorkerReport): void {
    if (report.type === 'crash') {
      slot.crash = report.reason;
      return;
    }
    const index = slot.attempts.findIndex((a) => a.id === report.id);
    const attempt = slot.attempts[index];
    if (!attempt) return;
    if (report.type === 'done') {
      slot.attempts.splice(index, 1);
      attempt.resolve(report.outcome);
      this.wakeOne();
      return;
    }
    for (const event of report.events) {
      if (event.type === 'scenario-start') attempt.scenarioStarted = true;
      else if (event.type === 'scenario-end') attempt.scenarioEnded = true;
      else if (event.type === 'step-start') attempt.started.add(event.stepId);
      else if (event.type === 'step-end') attempt.ended.add(event.stepId);
      attempt.emit(event);
    }
  }

  private onExit(slot: Slot, code: number): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    const reason = `the worker thread running it stopped (${slot.crash ?? `exit code ${code}`})`;
    // The worker runs its attempts in order: the first is the one it died on (even if none of its events came
    // through). Those behind it never started and go to another worker, so each death ends exactly one attempt.
    const [running, ...queued] = slot.attempts.splice(0);
    if (running) {
      if (!this.closed) this.closeAfterCrash(running, reason);
      running.resolve('error');
    }
    for (const attempt of queued) {
      if (this.closed) attempt.resolve('error');
      else void this.run(attempt.job, attempt.attempt, attempt.emit).then(attempt.resolve, () => attempt.resolve('error'));
    }
    this.wakeOne();
  }

  /** Ends, in the stream, what the dead worker left open: its step in error, the steps after it skipped. */
  private closeAfterCrash(attempt: Attempt, reason: string): void {
    if (attempt.scenarioEnded) return;
    const { job, emit } = attempt;
    const scope = scopeOf(job);
    if (!attempt.scenarioStarted) emit(scenarioStart(job, attempt.attempt));
    for (const step of job.scenario.steps) {
      if (attempt.ended.has(step.id)) continue;
      if (attempt.started.has(step.id)) emit({ type: 'step-end', ...scope, stepId: step.id, outcome: 'error', reason: `${step.id}: ${reason}`, ...eventTime() });
      else emitSkipped(emit, scope, step, `not run: ${reason}`);
    }
    emit({ type: 'scenario-end', ...scope, outcome: 'error', reason, ...eventTime() });
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }
}
