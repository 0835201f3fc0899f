/**
 * How step, scenario, set and run outcomes combine. `fail` means a device did the wrong thing; `error` means
 * the harness or rig broke. The worse outcome wins: fail, then error, then pass, then skipped, so a scenario
 * fails if any step failed, errors if a step errored and none failed, passes if any step passed and none
 * failed or errored, and is skipped only when nothing in it ran.
 */
export const OUTCOMES = ['pass', 'fail', 'error', 'skipped'] as const;
export type Outcome = (typeof OUTCOMES)[number];

const SEVERITY: Readonly<Record<Outcome, number>> = { skipped: 0, pass: 1, error: 2, fail: 3 };

/** The worst of the outcomes; `skipped` when there are none. */
export function combineOutcomes(outcomes: Iterable<Outcome>): Outcome {
  let worst: Outcome = 'skipped';
  for (const outcome of outcomes) if (SEVERITY[outcome] > SEVERITY[worst]) worst = outcome;
  return worst;
}

/**
 * The verdict over several attempts at one scenario: the last attempt's, except that a failure is never
 * retried away (an infrastructure error may be retried into a pass; a device failure may not).
 */
export function outcomeOverAttempts(attempts: readonly Outcome[]): Outcome {
  if (attempts.includes('fail')) return 'fail';
  return attempts[attempts.length - 1] ?? 'skipped';
}

export interface OutcomeCounts {
  readonly pass: number;
  readonly fail: number;
  readonly error: number;
  readonly skipped: number;
  readonly total: number;
}

export function countOutcomes(outcomes: Iterable<Outcome>): OutcomeCounts {
  const counts = { pass: 0, fail: 0, error: 0, skipped: 0, total: 0 };
  for (const outcome of outcomes) {
    counts[outcome]++;
    counts.total++;
  }
  return counts;
}
