/**
 * The run as the HTML report shows it: ResultsCollector's verdicts (the same as JUnit and the console give),
 * plus what they leave out: every attempt's steps on the run's clock, and the frames and log lines of each.
 */
import type { EventTime, FrameEvent, LogEvent, RunEndEvent, RunEvent, RunStartEvent, ScenarioStartEvent } from './events.ts';
import type { Outcome } from './outcome.ts';
import { ResultsCollector, type RunResults, type ScenarioResult } from './results.ts';

export type Entry = FrameEvent | LogEvent;

export interface StepView {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly outcome: Outcome;
  readonly reason?: string;
  /** From the attempt's start, on the run's clock (virtual when there is one). */
  readonly offsetMs: number;
  /** On the run's clock; undefined when the step never ended. */
  readonly durationMs?: number;
  readonly wallDurationMs?: number;
  readonly entries: readonly Entry[];
}

export interface AttemptView {
  readonly number: number;
  readonly start: ScenarioStartEvent;
  readonly steps: readonly StepView[];
  /** Frames and log lines of the scenario outside any step. */
  readonly entries: readonly Entry[];
  /** On the run's clock; undefined when the attempt never ended. */
  readonly durationMs?: number;
}

export interface ScenarioView {
  readonly result: ScenarioResult;
  readonly setLabel: string;
  /** A fragment id, unique in the report and made from no user text. */
  readonly anchor: string;
  readonly attempts: readonly AttemptView[];
}

export interface ReportModel {
  readonly results: RunResults;
  readonly start?: RunStartEvent;
  readonly end?: RunEndEvent;
  /** In run order. */
  readonly scenarios: readonly ScenarioView[];
  /** Frames and log lines outside any scenario. */
  readonly runEntries: readonly Entry[];
  readonly eventCount: number;
}

const UNFINISHED_STEP = 'step did not finish: the run ended first';

/** Milliseconds on the run's clock: virtual time when the event has it, wall time otherwise. */
export function clockMs(time: EventTime): number {
  return Date.parse(time.virtualTime ?? time.wallTime);
}

interface OpenStep {
  readonly start: RunEvent & { type: 'step-start' };
  end?: RunEvent & { type: 'step-end' };
  readonly entries: Entry[];
}

interface OpenAttempt {
  readonly start: ScenarioStartEvent;
  readonly steps: OpenStep[];
  readonly entries: Entry[];
  endedAt?: EventTime;
}

function lastWhere<T>(items: readonly T[] | undefined, test: (item: T) => boolean): T | undefined {
  for (let index = (items?.length ?? 0) - 1; index >= 0; index--) if (test(items![index]!)) return items![index];
  return undefined;
}

function key(setId: string | undefined, scenarioId: string): string {
  return `${setId ?? ''}\u0000${scenarioId}`;
}

function stepView(open: OpenStep, attemptStart: number): StepView {
  const { start, end } = open;
  return {
    id: start.stepId,
    name: start.name,
    kind: start.kind,
    outcome: end?.outcome ?? 'error',
    ...(end === undefined ? { reason: UNFINISHED_STEP } : end.reason === undefined ? {} : { reason: end.reason }),
    offsetMs: Math.max(0, clockMs(start) - attemptStart),
    ...(end === undefined ? {} : { durationMs: Math.max(0, clockMs(end) - clockMs(start)), wallDurationMs: Math.max(0, Date.parse(end.wallTime) - Date.parse(start.wallTime)) }),
    entries: open.entries,
  };
}

function attemptView(open: OpenAttempt, number: number): AttemptView {
  const started = clockMs(open.start);
  return {
    number,
    start: open.start,
    steps: open.steps.map((step) => stepView(step, started)),
    entries: open.entries,
    ...(open.endedAt === undefined ? {} : { durationMs: Math.max(0, clockMs(open.endedAt) - started) }),
  };
}

export function buildReportModel(events: readonly RunEvent[]): ReportModel {
  const collector = new ResultsCollector();
  const attempts = new Map<string, OpenAttempt[]>();
  const runEntries: Entry[] = [];
  let start: RunStartEvent | undefined;
  let end: RunEndEvent | undefined;
  const current = (setId: string | undefined, scenarioId: string | undefined) => (scenarioId === undefined ? undefined : attempts.get(key(setId, scenarioId))?.at(-1));

  for (const event of events) {
    collector.onEvent(event);
    switch (event.type) {
      case 'run-start':
        start = event;
        break;
      case 'run-end':
        end = event;
        break;
      case 'scenario-start': {
        const list = attempts.get(key(event.setId, event.scenarioId)) ?? [];
        list.push({ start: event, steps: [], entries: [] });
        attempts.set(key(event.setId, event.scenarioId), list);
        break;
      }
      case 'scenario-end': {
        const attempt = current(event.setId, event.scenarioId);
        if (attempt !== undefined) attempt.endedAt = event;
        break;
      }
      case 'step-start':
        current(event.setId, event.scenarioId)?.steps.push({ start: event, entries: [] });
        break;
      case 'step-end': {
        const step = lastWhere(current(event.setId, event.scenarioId)?.steps, (open) => open.start.stepId === event.stepId && open.end === undefined);
        if (step !== undefined) step.end = event;
        break;
      }
      case 'frame':
      case 'log': {
        const attempt = current(event.setId, event.scenarioId);
        const step = lastWhere(attempt?.steps, (open) => open.start.stepId === event.stepId);
        (step?.entries ?? attempt?.entries ?? runEntries).push(event);
        break;
      }
    }
  }

  const results = collector.results();
  let index = 0;
  const scenarios = results.sets.flatMap((set) =>
    set.scenarios.map(
      (result): ScenarioView => ({
        result,
        setLabel: set.label,
        anchor: `scenario-${++index}`,
        attempts: (attempts.get(key(result.setId, result.scenarioId)) ?? []).map((open, number) => attemptView(open, number + 1)),
      }),
    ),
  );
  return { results, ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }), scenarios, runEntries, eventCount: events.length };
}

const ATTENTION: Readonly<Record<Outcome, number>> = { fail: 0, error: 1, pass: 2, skipped: 3 };

/** Failures first, then errors, then the rest, each group in run order. */
export function failuresFirst(scenarios: readonly ScenarioView[]): ScenarioView[] {
  return [...scenarios].sort((a, b) => ATTENTION[a.result.outcome] - ATTENTION[b.result.outcome]);
}
