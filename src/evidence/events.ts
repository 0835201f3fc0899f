/**
 * The one stream of events a run produces. Every record of the run (the evidence log, JUnit, the console)
 * is built from these and nothing else.
 */
import type { Outcome } from './outcome.ts';

/** Every event says when it happened: on the wall, and on the run's clock when that is virtual. */
export interface EventTime {
  /** ISO 8601, from the machine's clock. */
  readonly wallTime: string;
  /** ISO 8601, from the virtual clock devices and the runner share; absent on a real-time rig. */
  readonly virtualTime?: string;
}

/** Which run item an event belongs to; a matrix run adds the configuration set. */
export interface EventScope {
  readonly setId?: string;
  readonly scenarioId?: string;
  readonly stepId?: string;
}

export interface RunStartEvent extends EventTime {
  readonly type: 'run-start';
  readonly runId: string;
  /** What the run is called in reports (default "hanlab"). */
  readonly name?: string;
  readonly rig?: string;
  /** The configuration sets of a matrix run, in order. */
  readonly sets?: readonly { readonly id: string; readonly label: string }[];
  /** How many scenario runs are planned (scenarios × sets), for progress. */
  readonly planned: number;
}

export interface RunEndEvent extends EventTime {
  readonly type: 'run-end';
  readonly runId: string;
}

export interface ScenarioStartEvent extends EventTime {
  readonly type: 'scenario-start';
  readonly setId?: string;
  readonly scenarioId: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly file?: string;
  /** 1 for the first attempt, 2 for the first retry... */
  readonly attempt?: number;
}

export interface ScenarioEndEvent extends EventTime {
  readonly type: 'scenario-end';
  readonly setId?: string;
  readonly scenarioId: string;
  /**
   * An outcome of the scenario apart from its steps (the rig could not be prepared: error). Combined
   * with the steps' outcomes by the usual rules; absent when the steps say it all.
   */
  readonly outcome?: Outcome;
  readonly reason?: string;
}

export interface StepStartEvent extends EventTime {
  readonly type: 'step-start';
  readonly setId?: string;
  readonly scenarioId: string;
  readonly stepId: string;
  readonly name: string;
  readonly kind: string;
}

export interface StepEndEvent extends EventTime {
  readonly type: 'step-end';
  readonly setId?: string;
  readonly scenarioId: string;
  readonly stepId: string;
  readonly outcome: Outcome;
  /** Why it did not pass (or a note when it did). */
  readonly reason?: string;
}

/** Toward the meters (head-end → hub → device) or back toward the head-end. */
export type FrameDirection = 'downstream' | 'upstream';

export interface FrameEvent extends EventTime, EventScope {
  readonly type: 'frame';
  readonly direction: FrameDirection;
  readonly from: string;
  readonly to: string;
  readonly protocol: 'gbcs' | 'zcl';
  /** The frame's bytes, upper-case hex. */
  readonly hex: string;
  /** GBCS use case (ECS82, CS01a...) or ZCL cluster/command, when known. */
  readonly useCase?: string;
  readonly messageCode?: number;
  /** The decoded fields, for people reading the log. */
  readonly decoded?: Readonly<Record<string, unknown>>;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEvent extends EventTime, EventScope {
  readonly type: 'log';
  readonly level: LogLevel;
  readonly message: string;
}

export type RunEvent = RunStartEvent | RunEndEvent | ScenarioStartEvent | ScenarioEndEvent | StepStartEvent | StepEndEvent | FrameEvent | LogEvent;
export type RunEventType = RunEvent['type'];

/** Stamps an event's time: the wall clock now, and the virtual clock's time when there is one. */
export function eventTime(virtualNowMs?: number, wallNowMs: number = Date.now()): EventTime {
  const wallTime = wallClockText.of(wallNowMs);
  return virtualNowMs === undefined ? { wallTime } : { wallTime, virtualTime: virtualClockText.of(virtualNowMs) };
}

/** The ISO text of the last time asked for: many events share a millisecond, on the wall and on a virtual clock. */
class IsoText {
  private ms = Number.NaN;
  private text = '';

  of(ms: number): string {
    if (ms !== this.ms) {
      this.text = new Date(ms).toISOString();
      this.ms = ms;
    }
    return this.text;
  }
}

const wallClockText = new IsoText();
const virtualClockText = new IsoText();
