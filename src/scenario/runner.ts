import type { EventStream } from '../evidence/reporter.ts';
import { eventTime, type FrameEvent } from '../evidence/events.ts';
import { combineOutcomes, outcomeOverAttempts, type Outcome } from '../evidence/outcome.ts';
import type { ConfigurationSet } from './matrix.ts';
import type { Premises } from './premises.ts';
import { classify, runStep, type ScenarioContext } from './step-runner.ts';
import type { Scenario } from './types.ts';

/** Builds the premises a scenario needs: simulated devices, a rig's real ones, or a mix. */
export type PremisesFactory = (scenario: Scenario, set: ConfigurationSet | undefined, seed: string) => Promise<Premises>;

export interface RunnerOptions {
  stream: EventStream;
  premises: PremisesFactory;
  runId: string;
  seed: number | string;
  /** Retries of a scenario that ended in error (never of one that failed). */
  retries?: number;
  /** Scenarios run at once. */
  jobs?: number;
  /** Configuration sets of a matrix run; the suite runs once per set. */
  sets?: readonly ConfigurationSet[];
  rig?: string;
  name?: string;
}

interface Job {
  scenario: Scenario;
  set: ConfigurationSet | undefined;
}

/**
 * Runs scenarios and reports everything as events: steps in order, each with pass, fail (the device did the wrong
 * thing) or error (harness, broker or rig) and a reason; after a step that does not pass, the rest are skipped with
 * the reason. A scenario that ends in error may be retried; a failure never is.
 */
export class ScenarioRunner {
  constructor(private readonly options: RunnerOptions) {}

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
    const width = Math.max(1, this.options.jobs ?? 1);
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
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.runOnce(job, attempt);
      attempts.push(outcome);
      if (outcome !== 'error' || attempt > retries) return outcomeOverAttempts(attempts);
    }
  }

  private async runOnce({ scenario, set }: Job, attempt: number): Promise<Outcome> {
    const { stream } = this.options;
    const scope = { scenarioId: scenario.id, ...(set ? { setId: set.id } : {}) };
    stream.emit({ type: 'scenario-start', ...scope, title: scenario.title, tags: scenario.tags, file: scenario.location.file, attempt, ...eventTime() });
    const seed = `${this.options.seed}/${set?.id ?? ''}/${scenario.id}`;
    let premises: Premises;
    try {
      premises = await this.options.premises(scenario, set, seed);
    } catch (e) {
      const { reason } = classify(e);
      for (const step of scenario.steps) this.skip(scope, step, `not run: the premises could not be prepared`);
      stream.emit({ type: 'scenario-end', ...scope, outcome: 'error', reason: `premises not prepared: ${reason}`, ...eventTime() });
      return 'error';
    }
    const virtual = () => (premises.virtual ? premises.clock.now() : undefined);
    let stepId: string | undefined;
    const unsubscribe = premises.onFrame((f) => {
      const { at, ...frame } = f;
      const event: FrameEvent = { type: 'frame', ...frame, ...scope, ...(stepId ? { stepId } : {}), ...eventTime(premises.virtual ? at : undefined) };
      stream.emit(event);
    });
    const ctx: ScenarioContext = {
      premises,
      variables: new Map(Object.entries(scenario.vars)),
      takenAlerts: new Set(),
      log: (message) => stream.emit({ type: 'log', level: 'info', message, ...scope, ...(stepId ? { stepId } : {}), ...eventTime(virtual()) }),
    };
    const outcomes: Outcome[] = [];
    let stopped: string | undefined;
    for (const step of scenario.steps) {
      if (stopped) {
        this.skip(scope, step, stopped);
        outcomes.push('skipped');
        continue;
      }
      stepId = step.id;
      stream.emit({ type: 'step-start', ...scope, stepId: step.id, name: step.name, kind: step.kind, ...eventTime(virtual()) });
      const result = await runStep(ctx, step);
      stream.emit({ type: 'step-end', ...scope, stepId: step.id, outcome: result.outcome, ...(result.reason ? { reason: `${step.id}: ${result.reason}` } : {}), ...eventTime(virtual()) });
      outcomes.push(result.outcome);
      if (result.outcome !== 'pass') stopped = `not run: step ${step.id} ended in ${result.outcome}`;
      stepId = undefined;
    }
    unsubscribe();
    let closeError: string | undefined;
    try {
      await premises.close();
    } catch (e) {
      closeError = classify(e).reason;
    }
    const outcome = combineOutcomes(closeError ? [...outcomes, 'error'] : outcomes);
    stream.emit({ type: 'scenario-end', ...scope, ...(closeError ? { outcome: 'error' as const, reason: `premises did not close: ${closeError}` } : {}), ...eventTime(virtual()) });
    return outcome;
  }

  private skip(scope: { scenarioId: string; setId?: string }, step: { id: string; name: string; kind: string }, reason: string): void {
    const { stream } = this.options;
    stream.emit({ type: 'step-start', ...scope, stepId: step.id, name: step.name, kind: step.kind, ...eventTime() });
    stream.emit({ type: 'step-end', ...scope, stepId: step.id, outcome: 'skipped', reason, ...eventTime() });
  }
}
