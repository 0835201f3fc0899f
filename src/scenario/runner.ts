import type { EventStream } from '../evidence/reporter.ts';
import { eventTime } from '../evidence/events.ts';
import { outcomeOverAttempts, type Outcome } from '../evidence/outcome.ts';
import { runAttempt, type Job, type PremisesFactory } from './attempt.ts';
import type { ConfigurationSet } from './matrix.ts';
import type { Scenario } from './types.ts';

export type { Job, PremisesFactory } from './attempt.ts';

/**
 * Runs one attempt of a job, reporting its events through `emit`: in this thread by default, or in a pool of
 * worker threads (ScenarioWorkerPool) so that simulated scenarios use every core.
 */
export interface AttemptExecutor {
  run(job: Job, attempt: number, emit: EventStream['emit']): Promise<Outcome>;
  /** Attempts it takes at once (queued where it cannot start them yet); the runner keeps at least this many going. */
  readonly capacity?: number;
}

export interface RunnerOptions {
  stream: EventStream;
  premises: PremisesFactory;
  runId: string;
  seed: number | string;
  /** Retries of a scenario that ended in error (never of one that failed). */
  retries?: number;
  /** Scenarios run at once. */
  jobs?: number;
  /** Where attempts run; in this thread, on `premises`, by default. */
  executor?: AttemptExecutor;
  /** Configuration sets of a matrix run; the suite runs once per set. */
  sets?: readonly ConfigurationSet[];
  rig?: string;
  name?: string;
}

/**
 * Runs scenarios and reports everything as events: steps in order, each with pass, fail (the device did the wrong
 * thing) or error (harness, broker or rig) and a reason; after a step that does not pass, the rest are skipped with
 * the reason. A scenario that ends in error may be retried; a failure never is.
 */
export class ScenarioRunner {
  private readonly executor: AttemptExecutor;

  constructor(private readonly options: RunnerOptions) {
    this.executor = options.executor ?? { run: (job, attempt, emit) => runAttempt(job, attempt, { premises: options.premises, seed: options.seed, emit }) };
  }

  async run(scenarios: readonly Scenario[]): Promise<void> {
    const { stream, runId, sets } = this.options;
    const jobs: Job[] = sets?.length ? sets.flatMap((set) => scenarios.map((scenario) => ({ scenario, set }))) : scenarios.map((scenario) => ({ scenario, set: undefined }));
    stream.emit({
      type: 'run-start',
      runId,
      planned: jobs.length,
      ...(this.options.name ? { name: this.options.name } : {}),
      ...(this.options.rig ? { rig: this.options.rig } : {}),
      ...(sets?.length ? { sets: sets.map((s) => ({ id: s.id, label: s.label })) } : {}),
      ...eventTime(),
    });
    const width = Math.max(1, this.options.jobs ?? 1, this.executor.capacity ?? 0);
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        await this.runWithRetries(job);
      }
    };
    await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
    stream.emit({ type: 'run-end', runId, ...eventTime() });
  }

  private async runWithRetries(job: Job): Promise<Outcome> {
    const attempts: Outcome[] = [];
    const retries = this.options.retries ?? 0;
    const emit = (event: Parameters<EventStream['emit']>[0]) => this.options.stream.emit(event);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.executor.run(job, attempt, emit);
      attempts.push(outcome);
      if (outcome !== 'error' || attempt > retries) return outcomeOverAttempts(attempts);
    }
  }
}
