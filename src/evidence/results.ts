/**
 * The run's results, rebuilt from the event stream: per configuration set, per scenario, per step, with
 * each scenario's log. JUnit, the console summary and the exit criteria all read this.
 */
import type { FrameEvent, LogEvent, RunEvent, ScenarioStartEvent, StepEndEvent, StepStartEvent } from './events.ts';
import { combineOutcomes, countOutcomes, outcomeOverAttempts, type Outcome, type OutcomeCounts } from './outcome.ts';
import type { Reporter } from './reporter.ts';

/** Scenarios with this tag count towards `critical-failures` in the exit criteria. */
export const CRITICAL_TAG = 'critical';

export interface StepResult {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly outcome: Outcome;
  readonly reason?: string;
  readonly durationMs: number;
}

export interface ScenarioResult {
  /** '' outside a matrix run. */
  readonly setId: string;
  readonly scenarioId: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly file?: string;
  readonly outcome: Outcome;
  /** Why it did not pass: the deciding step's reason, or the scenario's own. */
  readonly reason?: string;
  /** The step that decided a fail or error. */
  readonly decidingStep?: string;
  /** The last attempt's steps. */
  readonly steps: readonly StepResult[];
  /** Every attempt's log lines: steps, frames, log messages, with times. */
  readonly log: readonly string[];
  readonly attempts: readonly Outcome[];
  readonly startedAt: string;
  readonly durationMs: number;
  readonly critical: boolean;
}

export interface SetResult {
  readonly id: string;
  readonly label: string;
  readonly scenarios: readonly ScenarioResult[];
  readonly outcome: Outcome;
  readonly counts: OutcomeCounts;
  readonly durationMs: number;
}

export interface RunResults {
  readonly runId: string;
  readonly name: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly sets: readonly SetResult[];
  readonly outcome: Outcome;
  /** Over every scenario of every set. */
  readonly counts: OutcomeCounts;
  /** Failed (not errored) scenarios tagged critical. */
  readonly criticalFailures: number;
  /** run-end was seen; otherwise unfinished steps and scenarios count as errors. */
  readonly complete: boolean;
}

interface OpenStep {
  readonly start: StepStartEvent;
  end?: StepEndEvent;
}

interface Attempt {
  readonly start: ScenarioStartEvent;
  readonly steps: OpenStep[];
  outcome?: Outcome;
  reason?: string;
  endedAt?: string;
}

interface ScenarioEntry {
  readonly attempts: Attempt[];
  readonly log: string[];
}

const NOT_FINISHED = 'did not finish: the run ended first';

function millisBetween(start: string, end: string | undefined): number {
  if (end === undefined) return 0;
  return Math.max(0, Date.parse(end) - Date.parse(start));
}

function clockOf(event: { wallTime: string; virtualTime?: string }): string {
  return (event.virtualTime ?? event.wallTime).slice(11, 23);
}

function describeFrame(frame: FrameEvent): string {
  const code = frame.messageCode === undefined ? '' : ` 0x${frame.messageCode.toString(16).toUpperCase().padStart(4, '0')}`;
  const useCase = frame.useCase === undefined ? '' : ` ${frame.useCase}`;
  return `frame ${frame.direction} ${frame.from} -> ${frame.to} ${frame.protocol}${useCase}${code} (${frame.hex.length / 2} bytes)`;
}

function key(setId: string | undefined, scenarioId: string | undefined): string {
  return `${setId ?? ''}\u0000${scenarioId ?? ''}`;
}

/** Collects results from the event stream; `results()` may be asked at any time, also mid-run. */
export class ResultsCollector implements Reporter {
  private runId = '';
  private name = 'hanlab';
  private startedAt = '';
  private endedAt: string | undefined;
  private lastSeen = '';
  private readonly setLabels = new Map<string, string>();
  private readonly scenarios = new Map<string, ScenarioEntry>();

  onEvent(event: RunEvent): void {
    this.lastSeen = event.wallTime;
    switch (event.type) {
      case 'run-start':
        this.runId = event.runId;
        this.name = event.name ?? 'hanlab';
        this.startedAt = event.wallTime;
        for (const set of event.sets ?? []) this.setLabels.set(set.id, set.label);
        return;
      case 'run-end':
        this.endedAt = event.wallTime;
        return;
      case 'scenario-start': {
        const entry = this.scenarios.get(key(event.setId, event.scenarioId)) ?? { attempts: [], log: [] };
        this.scenarios.set(key(event.setId, event.scenarioId), entry);
        entry.attempts.push({ start: event, steps: [] });
        entry.log.push(`${clockOf(event)} scenario ${event.scenarioId}: ${event.title}${(event.attempt ?? 1) > 1 ? ` (attempt ${event.attempt})` : ''}`);
        return;
      }
      case 'scenario-end': {
        const entry = this.scenarios.get(key(event.setId, event.scenarioId));
        const attempt = entry?.attempts.at(-1);
        if (entry === undefined || attempt === undefined) return;
        if (event.outcome !== undefined) attempt.outcome = event.outcome;
        if (event.reason !== undefined) attempt.reason = event.reason;
        attempt.endedAt = event.wallTime;
        entry.log.push(`${clockOf(event)} scenario end${event.outcome ? ` ${event.outcome.toUpperCase()}` : ''}${event.reason ? `: ${event.reason}` : ''}`);
        return;
      }
      case 'step-start': {
        const entry = this.scenarios.get(key(event.setId, event.scenarioId));
        entry?.attempts.at(-1)?.steps.push({ start: event });
        entry?.log.push(`${clockOf(event)} step ${event.stepId}: ${event.name}`);
        return;
      }
      case 'step-end': {
        const entry = this.scenarios.get(key(event.setId, event.scenarioId));
        const step = entry?.attempts.at(-1)?.steps.find((open) => open.start.stepId === event.stepId && open.end === undefined);
        if (step !== undefined) step.end = event;
        entry?.log.push(`${clockOf(event)} step ${event.stepId} ${event.outcome.toUpperCase()}${event.reason ? `: ${event.reason}` : ''}`);
        return;
      }
      case 'frame':
      case 'log':
        this.scoped(event)?.log.push(`${clockOf(event)}   ${event.type === 'frame' ? describeFrame(event) : `${event.level}: ${event.message}`}`);
        return;
    }
  }

  private scoped(event: FrameEvent | LogEvent): ScenarioEntry | undefined {
    return event.scenarioId === undefined ? undefined : this.scenarios.get(key(event.setId, event.scenarioId));
  }

  /** One scenario's result so far (its latest attempts), without building the whole run's. */
  scenario(setId: string | undefined, scenarioId: string): ScenarioResult | undefined {
    const entry = this.scenarios.get(key(setId, scenarioId));
    return entry === undefined ? undefined : this.scenarioResult(entry);
  }

  results(): RunResults {
    const complete = this.endedAt !== undefined;
    const bySet = new Map<string, ScenarioResult[]>();
    for (const setId of this.setLabels.keys()) bySet.set(setId, []);
    for (const entry of this.scenarios.values()) {
      const result = this.scenarioResult(entry);
      const list = bySet.get(result.setId) ?? [];
      list.push(result);
      bySet.set(result.setId, list);
    }
    const sets = [...bySet].map(([id, scenarios]): SetResult => ({
      id,
      label: this.setLabels.get(id) ?? (id === '' ? this.name : id),
      scenarios,
      outcome: combineOutcomes(scenarios.map((scenario) => scenario.outcome)),
      counts: countOutcomes(scenarios.map((scenario) => scenario.outcome)),
      durationMs: scenarios.reduce((total, scenario) => total + scenario.durationMs, 0),
    }));
    const all = sets.flatMap((set) => set.scenarios);
    return {
      runId: this.runId,
      name: this.name,
      startedAt: this.startedAt,
      durationMs: millisBetween(this.startedAt, this.endedAt ?? this.lastSeen),
      sets,
      outcome: combineOutcomes(sets.map((set) => set.outcome)),
      counts: countOutcomes(all.map((scenario) => scenario.outcome)),
      criticalFailures: all.filter((scenario) => scenario.critical && scenario.outcome === 'fail').length,
      complete,
    };
  }

  private scenarioResult(entry: ScenarioEntry): ScenarioResult {
    const verdicts = entry.attempts.map((attempt) => this.attemptVerdict(attempt));
    const last = entry.attempts.at(-1)!;
    const lastVerdict = verdicts.at(-1)!;
    const outcome = outcomeOverAttempts(verdicts.map((verdict) => verdict.outcome));
    // When an earlier attempt failed, its failure is the verdict and the reason.
    const deciding = verdicts.find((verdict) => verdict.outcome === outcome && outcome !== 'pass') ?? lastVerdict;
    const first = entry.attempts[0]!;
    return {
      setId: last.start.setId ?? '',
      scenarioId: last.start.scenarioId,
      title: last.start.title,
      tags: last.start.tags,
      ...(last.start.file === undefined ? {} : { file: last.start.file }),
      outcome,
      ...(deciding.reason === undefined ? {} : { reason: deciding.reason }),
      ...(deciding.step === undefined ? {} : { decidingStep: deciding.step }),
      steps: lastVerdict.steps,
      log: entry.log,
      attempts: verdicts.map((verdict) => verdict.outcome),
      startedAt: first.start.wallTime,
      durationMs: entry.attempts.reduce((total, attempt) => total + millisBetween(attempt.start.wallTime, attempt.endedAt ?? this.endedAt ?? this.lastSeen), 0),
      critical: last.start.tags.includes(CRITICAL_TAG),
    };
  }

  private attemptVerdict(attempt: Attempt): { outcome: Outcome; reason?: string; step?: string; steps: StepResult[] } {
    const steps = attempt.steps.map(
      (open): StepResult => ({
        id: open.start.stepId,
        name: open.start.name,
        kind: open.start.kind,
        outcome: open.end?.outcome ?? 'error',
        ...(open.end === undefined ? { reason: `step ${NOT_FINISHED}` } : open.end.reason === undefined ? {} : { reason: open.end.reason }),
        durationMs: millisBetween(open.start.wallTime, open.end?.wallTime),
      }),
    );
    const unfinished: Outcome[] = attempt.endedAt === undefined ? ['error'] : [];
    const own: Outcome[] = attempt.outcome === undefined ? [] : [attempt.outcome];
    const outcome = combineOutcomes([...steps.map((step) => step.outcome), ...own, ...unfinished]);
    const decidingStep = steps.find((step) => step.outcome === outcome && outcome !== 'pass' && outcome !== 'skipped');
    const reason = decidingStep?.reason ?? attempt.reason ?? (attempt.endedAt === undefined ? `scenario ${NOT_FINISHED}` : undefined);
    return {
      outcome,
      ...(reason === undefined ? {} : { reason }),
      ...(decidingStep === undefined ? {} : { step: decidingStep.id }),
      steps,
    };
  }
}
