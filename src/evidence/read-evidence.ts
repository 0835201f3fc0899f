import { readFileSync } from 'node:fs';
import type { RunEvent, RunEventType } from './events.ts';
import { OUTCOMES } from './outcome.ts';

export interface EvidenceRead {
  /** The events of every readable record, in order. */
  readonly events: RunEvent[];
  /** The first record that could not be read; reading stops there (a torn last line after a power cut). */
  readonly unreadable?: { readonly line: number; readonly reason: string };
}

/** The string fields each event type must carry for the reporters to use it. */
const REQUIRED_TEXT: Readonly<Record<RunEventType, readonly string[]>> = {
  'run-start': ['runId'],
  'run-end': ['runId'],
  'scenario-start': ['scenarioId', 'title'],
  'scenario-end': ['scenarioId'],
  'step-start': ['scenarioId', 'stepId', 'name', 'kind'],
  'step-end': ['scenarioId', 'stepId', 'outcome'],
  frame: ['direction', 'from', 'to', 'protocol', 'hex'],
  log: ['level', 'message'],
};

const OPTIONAL_TEXT = ['virtualTime', 'setId', 'scenarioId', 'stepId', 'reason', 'useCase', 'rig', 'name', 'file'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a value read from a log is not a usable event, or undefined when it is one. */
export function eventProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'the event is not an object';
  const type = value.type;
  if (typeof type !== 'string' || !Object.hasOwn(REQUIRED_TEXT, type)) return `unknown event type ${JSON.stringify(type)}`;
  for (const field of ['wallTime', ...REQUIRED_TEXT[type as RunEventType]]) {
    if (typeof value[field] !== 'string') return `${type} event without ${field}`;
  }
  for (const field of OPTIONAL_TEXT) if (value[field] !== undefined && typeof value[field] !== 'string') return `${type} event with a ${field} that is not text`;
  if (Number.isNaN(Date.parse(value.wallTime as string))) return `${type} event with an unreadable wallTime`;
  if (type === 'step-end' || (type === 'scenario-end' && value.outcome !== undefined)) {
    if (!(OUTCOMES as readonly unknown[]).includes(value.outcome)) return `${type} event with an unknown outcome ${JSON.stringify(value.outcome)}`;
  }
  if (type === 'scenario-start' && !(Array.isArray(value.tags) && value.tags.every((tag) => typeof tag === 'string'))) return 'scenario-start event without a list of tags';
  if (type === 'frame' && value.decoded !== undefined && !isRecord(value.decoded)) return 'frame event whose decoded fields are not an object';
  if (type === 'frame' && value.messageCode !== undefined && !Number.isInteger(value.messageCode)) return 'frame event whose message code is not a number';
  return undefined;
}

/**
 * The events of an evidence log, for rebuilding reports. It does not check the hash chain (verifyEvidenceChain
 * and verifyManifest do); it only makes sure every event it hands on has the shape the reporters rely on.
 */
export function readEvidenceEvents(path: string): EvidenceRead {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const events: RunEvent[] = [];
  for (const [index, text] of lines.entries()) {
    const stop = (reason: string): EvidenceRead => ({ events, unreadable: { line: index + 1, reason } });
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      return stop('not JSON (a torn or edited line)');
    }
    if (!isRecord(record)) return stop('not a record');
    const problem = eventProblem(record.event);
    if (problem !== undefined) return stop(problem);
    events.push(record.event as unknown as RunEvent);
  }
  return { events };
}
