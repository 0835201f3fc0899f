import { describeValue, formatValue, type Value } from './expression.ts';
import { addQuantities, compareQuantities, dimensionOf, isQuantity, type Quantity } from './quantity.ts';

export const COMPARE_OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'changed-by'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

/** Ops that need numbers or quantities on both sides. */
export const ORDERING_OPS: ReadonlySet<CompareOp> = new Set(['gt', 'ge', 'lt', 'le', 'changed-by']);

const OP_WORDS: Readonly<Record<CompareOp, string>> = {
  eq: 'equal to',
  ne: 'different from',
  gt: 'more than',
  ge: 'at least',
  lt: 'less than',
  le: 'at most',
  'changed-by': 'changed by',
};

export interface ComparisonResult {
  readonly ok: boolean;
  /** Reads as a sentence for the report: "balance is 15.00 GBP, expected at least 20.00 GBP". */
  readonly message: string;
}

/**
 * Checks `actual op expected`. For `changed-by`, `since` is the earlier value: passes when
 * actual − since equals expected. Quantities compare across units of one dimension.
 */
export function compareValues(field: string, op: CompareOp, actual: Value, expected: Value, since?: Value): ComparisonResult {
  const expectation = `expected ${OP_WORDS[op]} ${formatValue(expected)}`;
  if (op === 'changed-by') {
    if (since === undefined) return { ok: false, message: `${field}: changed-by needs the earlier value (since)` };
    const change = difference(actual, since);
    if (typeof change === 'string') return { ok: false, message: `${field}: ${change}` };
    const equal = sameMeasure(change, expected);
    if (typeof equal === 'string') return { ok: false, message: `${field}: ${equal}` };
    return { ok: equal, message: `${field} went from ${formatValue(since)} to ${formatValue(actual)} (a change of ${formatValue(change)}), ${expectation}` };
  }
  const found = `${field} is ${formatValue(actual)}, ${expectation}`;
  if (op === 'eq' || op === 'ne') {
    const equal = isQuantity(actual) || isQuantity(expected) ? sameMeasure(actual, expected) : actual === expected;
    if (typeof equal === 'string') return { ok: false, message: `${field}: ${equal}` };
    return { ok: op === 'eq' ? equal : !equal, message: found };
  }
  const order = ordering(actual, expected);
  if (typeof order === 'string') return { ok: false, message: `${field}: ${order}` };
  const ok = op === 'gt' ? order > 0 : op === 'ge' ? order >= 0 : op === 'lt' ? order < 0 : order <= 0;
  return { ok, message: found };
}

function ordering(a: Value, b: Value): number | string {
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  if (isQuantity(a) && isQuantity(b)) {
    if (dimensionOf(a.unit) !== dimensionOf(b.unit)) return `cannot compare ${describeValue(a)} with ${describeValue(b)}`;
    return compareQuantities(a, b);
  }
  return `cannot order ${describeValue(a)} against ${describeValue(b)}: needs two numbers or two quantities`;
}

function sameMeasure(a: Value, b: Value): boolean | string {
  const order = ordering(a, b);
  return typeof order === 'string' ? order : order === 0;
}

function difference(after: Value, before: Value): number | Quantity | string {
  if (typeof after === 'number' && typeof before === 'number') return after - before;
  if (isQuantity(after) && isQuantity(before) && dimensionOf(after.unit) === dimensionOf(before.unit)) return addQuantities(after, before, -1);
  return `cannot take ${describeValue(before)} from ${describeValue(after)}`;
}
