import { eventTime, type FrameEvent, type RunEvent } from '../evidence/events.ts';
import { combineOutcomes, type Outcome } from '../evidence/outcome.ts';
import type { ConfigurationSet } from './matrix.ts';
import type { Premises } from './premises.ts';
import { classify, runStep, type ScenarioContext } from './step-runner.ts';
import type { Scenario } from './types.ts';

/** Builds the premises a scenario needs: simulated devices, a rig's real ones, or a mix. */
export type PremisesFactory = (scenario: Scenario, set: ConfigurationSet | undefined, seed: string) => Promise<Premises>;

/** One scenario, once per configuration set in a matrix run. */
export interface Job {
  readonly scenario: Scenario;
  readonly set: ConfigurationSet | undefined;
}

export interface AttemptContext {
  readonly premises: PremisesFactory;
  /** The run's seed; each scenario's premises are seeded from it, the set and the scenario id. */
  readonly seed: number | string;
  readonly emit: (event: RunEvent) => void;
}

type Scope = { readonly scenarioId: string; readonly setId?: string };
type StepLike = { readonly id: string; readonly name: string; readonly kind: string };

export function scopeOf({ scenario, set }: Job): Scope {
  return { scenarioId: scenario.id, ...(set ? { setId: set.id } : {}) };
}

/** The event that opens an attempt of a job. */
export function scenarioStart(job: Job, attempt: number): RunEvent {
  const { scenario } = job;
  return { type: 'scenario-start', ...scopeOf(job), title: scenario.title, tags: scenario.tags, file: scenario.location.file, attempt, ...eventTime() };
}

/** A step that did not run, reported as started and ended at once with the reason. */
export function emitSkipped(emit: (event: RunEvent) => void, scope: Scope, step: StepLike, reason: string): void {
  emit({ type: 'step-start', ...scope, stepId: step.id, name: step.name, kind: step.kind, ...eventTime() });
  emit({ type: 'step-end', ...scope, stepId: step.id, outcome: 'skipped', reason, ...eventTime() });
}

/**
 * Runs one attempt of a scenario on fresh premises and reports it as events: the scenario's start, every step's
 * start and end (after a step that does not pass, the rest are skipped with the reason), every frame the premises
 * saw, and the scenario's end. Never throws: whatever goes wrong ends as the outcome it deserves.
 */
export async function runAttempt(job: Job, attempt: number, ctx: AttemptContext): Promise<Outcome> {
  const { scenario, set } = job;
  const { emit } = ctx;
  const scope = scopeOf(job);
  emit(scenarioStart(job, attempt));
  const seed = `${ctx.seed}/${set?.id ?? ''}/${scenario.id}`;
  let premises: Premises;
  try {
    premises = await ctx.premises(scenario, set, seed);
  } catch (e) {
    const { reason } = classify(e);
    for (const step of scenario.steps) emitSkipped(emit, scope, step, `not run: the premises could not be prepared`);
    emit({ type: 'scenario-end', ...scope, outcome: 'error', reason: `premises not prepared: ${reason}`, ...eventTime() });
    return 'error';
  }
  const virtual = () => (premises.virtual ? premises.clock.now() : undefined);
  let stepId: string | undefined;
  const unsubscribe = premises.onFrame((f) => {
    const { at, ...frame } = f;
    const event: FrameEvent = { type: 'frame', ...frame, ...scope, ...(stepId ? { stepId } : {}), ...eventTime(premises.virtual ? at : undefined) };
    emit(event);
  });
  const steps: ScenarioContext = {
    premises,
    variables: new Map(Object.entries(scenario.vars)),
    takenAlerts: new Set(),
    log: (message) => emit({ type: 'log', level: 'info', message, ...scope, ...(stepId ? { stepId } : {}), ...eventTime(virtual()) }),
  };
  const outcomes: Outcome[] = [];
  let stopped: string | undefined;
  for (const step of scenario.steps) {
    if (stopped) {
      emitSkipped(emit, scope, step, stopped);
      outcomes.push('skipped');
      continue;
    }
    stepId = step.id;
    emit({ type: 'step-start', ...scope, stepId: step.id, name: step.name, kind: step.kind, ...eventTime(virtual()) });
    const result = await runStep(steps, step);
    emit({ type: 'step-end', ...scope, stepId: step.id, outcome: result.outcome, ...(result.reason ? { reason: `${step.id}: ${result.reason}` } : {}), ...eventTime(virtual()) });
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
  emit({ type: 'scenario-end', ...scope, ...(closeError ? { outcome: 'error' as const, reason: `premises did not close: ${closeError}` } : {}), ...eventTime(virtual()) });
  return outcome;
}
