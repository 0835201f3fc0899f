import type { RunEvent } from '../evidence/events.ts';
import type { Outcome } from '../evidence/outcome.ts';
import { runAttempt, type Job, type PremisesFactory } from './attempt.ts';
import type { AttemptExecutor } from './runner.ts';
import type { ScenarioWorkerPool } from './worker-pool.ts';

/**
 * Runs one attempt at a time in this thread and hands the others to a worker pool, so that `--jobs N` keeps N
 * threads simulating: this one and N−1 workers. This thread's attempts need no copying of their events between
 * threads and no warming up of another JavaScript engine, which makes it the cheapest of the N.
 */
export class SplitExecutor implements AttemptExecutor {
  private busyHere = false;

  constructor(
    private readonly here: { readonly premises: PremisesFactory; readonly seed: number | string },
    private readonly pool: ScenarioWorkerPool,
  ) {}

  get capacity(): number {
    return 1 + this.pool.capacity;
  }

  async run(job: Job, attempt: number, emit: (event: RunEvent) => void): Promise<Outcome> {
    if (this.busyHere) return this.pool.run(job, attempt, emit);
    this.busyHere = true;
    try {
      return await runAttempt(job, attempt, { ...this.here, emit });
    } finally {
      this.busyHere = false;
    }
  }
}
