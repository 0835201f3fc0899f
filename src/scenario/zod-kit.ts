/**
 * Zod building blocks that fail with messages a scenario author can act on: each failure carries what was
 * expected, and unknown keys carry the keys allowed there (see yaml-source.ts for how they are reported).
 */
import { z } from 'zod';
import { DURATION_EXAMPLES, parseDuration, parseSignedDuration, type Duration } from './duration.ts';
import { parseExpr, type Expr } from './expression.ts';
import { dimensionOf, parseQuantity, QUANTITY_EXAMPLES, type Dimension, type Quantity } from './quantity.ts';
import type { IssueParams } from './yaml-source.ts';

/** Records a problem at the current node (or `path` below it) and says what would have been accepted. */
export function reject(ctx: z.core.$RefinementCtx<unknown>, message: string, expected: string, path: PropertyKey[] = [], at?: 'key'): void {
  const params: IssueParams = at ? { expected, at } : { expected };
  ctx.addIssue({ code: 'custom', message, params, path, input: ctx.value });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Like z.strictObject, but reports each unknown key on its own, with the keys allowed there, even when
 * other fields of the same object are also wrong.
 */
export function closedObject<S extends z.ZodRawShape>(shape: S): z.ZodType<z.output<z.ZodObject<S>>, z.input<z.ZodObject<S>>> {
  const allowedKeys = Object.keys(shape);
  const schema = z.looseObject(shape).check(
    z.superRefine(
      (value: Record<string, unknown>, ctx) => {
        for (const key of Object.keys(value)) {
          if (allowedKeys.includes(key)) continue;
          const params: IssueParams = { unknownKey: key, allowedKeys };
          ctx.addIssue({ code: 'custom', message: `unknown key "${key}"`, params, path: [key] });
        }
      },
      { when: (payload) => isPlainObject(payload.value) },
    ),
  );
  return schema as unknown as z.ZodType<z.output<z.ZodObject<S>>, z.input<z.ZodObject<S>>>;
}

/** Text matching `pattern`; `what` names it ("a scenario id"), `expected` spells out the rule. */
export function textMatching(pattern: RegExp, what: string, expected: string): z.ZodType<string> {
  return z.string().check(
    z.superRefine((value: string, ctx) => {
      if (!pattern.test(value)) reject(ctx, `not ${what}`, expected);
    }),
  );
}

export const KEBAB_ID = /^[a-z0-9][a-z0-9._-]*$/;
export const kebabId = (what: string): z.ZodType<string> => textMatching(KEBAB_ID, what, 'lower-case letters, digits, . _ and -, such as top-up-ppmid');

export const durationField: z.ZodType<Duration, unknown> = z.unknown().transform((raw, ctx) => {
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    reject(ctx, 'expected a duration', DURATION_EXAMPLES);
    return z.NEVER;
  }
  const parsed = parseDuration(String(raw));
  if (!parsed.ok) {
    reject(ctx, parsed.message, DURATION_EXAMPLES);
    return z.NEVER;
  }
  if (parsed.ms <= 0) {
    reject(ctx, 'a duration here must be more than zero', DURATION_EXAMPLES);
    return z.NEVER;
  }
  return parsed.ms;
});

export const signedDurationField: z.ZodType<Duration, unknown> = z.unknown().transform((raw, ctx) => {
  const expected = `${DURATION_EXAMPLES}, optionally signed (+5m, -30s)`;
  const parsed = typeof raw === 'string' ? parseSignedDuration(raw) : undefined;
  if (parsed === undefined || !parsed.ok) {
    reject(ctx, parsed?.message ?? 'expected a signed duration', expected);
    return z.NEVER;
  }
  return parsed.ms;
});

export function quantityField(dimension?: Dimension): z.ZodType<Quantity, unknown> {
  const expected = dimension === 'money' ? 'an amount of money such as 10.00 GBP, £10 or 250 p' : QUANTITY_EXAMPLES;
  return z.unknown().transform((raw, ctx) => {
    const quantity = typeof raw === 'string' ? parseQuantity(raw) : undefined;
    if (quantity === undefined) {
      reject(ctx, typeof raw === 'number' ? `${raw} has no unit` : 'expected a quantity with a unit', expected);
      return z.NEVER;
    }
    if (dimension !== undefined && dimensionOf(quantity.unit) !== dimension) {
      reject(ctx, `expected ${dimension}, not ${dimensionOf(quantity.unit)}`, expected);
      return z.NEVER;
    }
    return quantity;
  });
}

/** A value that may use variables: "10 GBP", 42, "${utrn}", "${balanceBefore} + 10 GBP". */
export const exprField: z.ZodType<Expr, unknown> = z.unknown().transform((raw, ctx) => {
  const expected = 'a value (text, number, true/false or a quantity), optionally using ${variables}';
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    reject(ctx, 'expected a single value', expected);
    return z.NEVER;
  }
  const parsed = parseExpr(raw);
  if (!parsed.ok) {
    reject(ctx, parsed.message, expected);
    return z.NEVER;
  }
  return parsed.expr;
});

/** A rate written as 0.25 or "25%", between 0 and 1 inclusive. */
export const rateField: z.ZodType<number, unknown> = z.unknown().transform((raw, ctx) => {
  const expected = 'a rate between 0 and 1, or a percentage such as 25%';
  const percent = typeof raw === 'string' ? /^(\d+(?:\.\d+)?)\s*%$/.exec(raw.trim()) : null;
  const rate = typeof raw === 'number' ? raw : percent !== null ? Number(percent[1]) / 100 : Number.NaN;
  if (!(rate >= 0 && rate <= 1)) {
    reject(ctx, 'not a rate between 0 and 1', expected);
    return z.NEVER;
  }
  return rate;
});

/** A list that may also be written as a single item: `defects: x` or `defects: [x, y]`. */
export function oneOrMany<T>(item: z.ZodType<T, unknown>): z.ZodType<T[], unknown> {
  return z.preprocess((raw) => (Array.isArray(raw) ? raw : [raw]), z.array(item));
}

/** Passes issues from a nested safeParse up, paths intact (the parent adds its own path in front). */
export function forwardIssues(ctx: z.core.$RefinementCtx<unknown>, issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): void {
  for (const issue of issues) ctx.addIssue({ ...issue, path: [...prefix, ...issue.path], input: undefined } as z.core.$ZodRawIssue);
}

/** A problem found by hand-written checks on raw input, relative to the node being checked. */
export interface Problem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly expected: string;
  readonly at?: 'key';
}

export function reportProblems(ctx: z.core.$RefinementCtx<unknown>, problems: readonly Problem[], prefix: readonly PropertyKey[] = []): void {
  for (const problem of problems) reject(ctx, problem.message, problem.expected, [...prefix, ...problem.path], problem.at);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value);
}

/** Parses `raw` with `schema` and reports its issues together with hand-written `problems`. */
export function parseWith<T>(ctx: z.core.$RefinementCtx<unknown>, schema: z.ZodType<T>, raw: unknown, problems: readonly Problem[] = []): { ok: true; value: T } | { ok: false } {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) forwardIssues(ctx, parsed.error.issues);
  reportProblems(ctx, problems);
  return parsed.success && problems.length === 0 ? { ok: true, value: parsed.data } : { ok: false };
}

/** Drops keys whose value is undefined, so optional fields are absent rather than present-but-undefined. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
