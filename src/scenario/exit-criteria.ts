/**
 * Exit criteria: when a run counts as good enough to pass the gate. Written as comma-separated conditions:
 * `pass-rate>=95%,critical-failures=0,errors=0`.
 */
import type { OutcomeCounts } from '../evidence/outcome.ts';
import { didYouMean } from './did-you-mean.ts';

export const EXIT_METRICS = ['pass-rate', 'failures', 'errors', 'critical-failures', 'skipped', 'passed', 'total'] as const;
export type ExitMetric = (typeof EXIT_METRICS)[number];
export type Relation = '>=' | '<=' | '>' | '<' | '=' | '!=';

/** What the gate asks for when the command line says nothing: every scenario that ran passed. */
export const DEFAULT_EXIT_CRITERIA = 'failures=0,errors=0';

export interface Criterion {
  readonly metric: ExitMetric;
  readonly relation: Relation;
  /** A percentage for pass-rate, a count otherwise. */
  readonly threshold: number;
  /** As written, for messages. */
  readonly text: string;
}

export class ExitCriteriaError extends Error {
  override readonly name = 'ExitCriteriaError';
  constructor(
    message: string,
    /** 1-based position in the criteria text. */
    readonly column: number,
  ) {
    super(`exit criteria, column ${column}: ${message}`);
  }
}

const CONDITION = /^([a-z-]+)\s*(>=|<=|!=|==|=|>|<)\s*(\d+(?:\.\d+)?)\s*(%?)$/;

export function parseExitCriteria(text: string): Criterion[] {
  const criteria: Criterion[] = [];
  let offset = 0;
  for (const part of text.split(',')) {
    const column = offset + 1 + (part.length - part.trimStart().length);
    offset += part.length + 1;
    const condition = part.trim();
    if (condition === '') throw new ExitCriteriaError('empty condition; write conditions like pass-rate>=95% separated by commas', column);
    const match = CONDITION.exec(condition);
    if (match === null) throw new ExitCriteriaError(`"${condition}" is not a condition like errors=0 or pass-rate>=95%`, column);
    const [, name, relation, number, percent] = match as unknown as [string, string, string, string, string];
    const metric = EXIT_METRICS.find((known) => known === name);
    if (metric === undefined) {
      const suggestion = didYouMean(name, EXIT_METRICS);
      throw new ExitCriteriaError(`unknown measure "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''} (known: ${EXIT_METRICS.join(', ')})`, column);
    }
    const threshold = Number(number);
    if (metric === 'pass-rate') {
      if (percent !== '%') throw new ExitCriteriaError(`pass-rate is a percentage: write ${number}%`, column);
      if (threshold > 100) throw new ExitCriteriaError(`pass-rate cannot be over 100%`, column);
    } else {
      if (percent === '%') throw new ExitCriteriaError(`${metric} is a count, not a percentage`, column);
      if (!Number.isInteger(threshold)) throw new ExitCriteriaError(`${metric} is a whole number`, column);
    }
    criteria.push({ metric, relation: relation === '==' ? '=' : (relation as Relation), threshold, text: condition });
  }
  return criteria;
}

/** What the criteria are judged on: the run's scenario outcomes (RunResults has both fields). */
export interface ExitCriteriaInput {
  readonly counts: OutcomeCounts;
  readonly criticalFailures: number;
}

export interface CriterionVerdict {
  readonly criterion: Criterion;
  /** Undefined when the measure has no value (a pass rate when nothing ran). */
  readonly actual?: number;
  readonly ok: boolean;
  /** "pass-rate is 90.0% (9 of 10 ran), needs >= 95%". */
  readonly reason: string;
}

export interface ExitVerdict {
  readonly ok: boolean;
  readonly verdicts: readonly CriterionVerdict[];
  readonly failed: readonly CriterionVerdict[];
}

function holds(actual: number, relation: Relation, threshold: number): boolean {
  switch (relation) {
    case '>=':
      return actual >= threshold;
    case '<=':
      return actual <= threshold;
    case '>':
      return actual > threshold;
    case '<':
      return actual < threshold;
    case '=':
      return actual === threshold;
    case '!=':
      return actual !== threshold;
  }
}

function measure(metric: ExitMetric, input: ExitCriteriaInput): { value?: number; shown: string } {
  const { counts } = input;
  switch (metric) {
    case 'pass-rate': {
      // Skipped scenarios proved nothing either way, so they are left out of the rate.
      const ran = counts.pass + counts.fail + counts.error;
      if (ran === 0) return { shown: 'undefined: no scenario ran' };
      const rate = (100 * counts.pass) / ran;
      return { value: rate, shown: `${rate.toFixed(1)}% (${counts.pass} of ${ran} passed)` };
    }
    case 'failures':
      return { value: counts.fail, shown: String(counts.fail) };
    case 'errors':
      return { value: counts.error, shown: String(counts.error) };
    case 'critical-failures':
      return { value: input.criticalFailures, shown: String(input.criticalFailures) };
    case 'skipped':
      return { value: counts.skipped, shown: String(counts.skipped) };
    case 'passed':
      return { value: counts.pass, shown: String(counts.pass) };
    case 'total':
      return { value: counts.total, shown: String(counts.total) };
  }
}

export function evaluateExitCriteria(criteria: readonly Criterion[], input: ExitCriteriaInput): ExitVerdict {
  const verdicts = criteria.map((criterion): CriterionVerdict => {
    const { value, shown } = measure(criterion.metric, input);
    const needs = `${criterion.relation} ${criterion.threshold}${criterion.metric === 'pass-rate' ? '%' : ''}`;
    const ok = value !== undefined && holds(value, criterion.relation, criterion.threshold);
    return { criterion, ...(value === undefined ? {} : { actual: value }), ok, reason: `${criterion.metric} is ${shown}, ${ok ? 'meets' : 'needs'} ${needs}` };
  });
  const failed = verdicts.filter((verdict) => !verdict.ok);
  return { ok: failed.length === 0, verdicts, failed };
}
