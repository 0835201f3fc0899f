import { readFileSync } from 'node:fs';

/**
 * What a run's records say about the run beyond its events: the runner knows these, the event stream does
 * not carry them. The signed manifest records them, so a report rebuilt from a run's folder shows them too.
 */
export interface RunFacts {
  readonly hanlabVersion?: string;
  readonly seed?: string | number;
  /** The rig, when run-start does not name it. */
  readonly rig?: string;
  /** The exit gate's verdict as the runner judged it. */
  readonly exitCriteria?: ExitCriteriaRecord;
}

export interface ExitCriteriaRecord {
  /** As given, e.g. "pass-rate>=95%,errors=0". */
  readonly text: string;
  readonly ok: boolean;
  /** One line per condition: "errors is 1, needs = 0". */
  readonly reasons: readonly string[];
}

let version: string | undefined;

/** This hanlab's version, from its package.json. */
export function hanlabVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}
