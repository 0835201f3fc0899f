import { z } from 'zod';
import { ALERT_EXPECTED, resolveAlertCode } from './alerts.ts';
import { COMPARE_OPS, type CompareOp } from './compare.ts';
import { didYouMean } from './did-you-mean.ts';
import { DURATION_EXAMPLES, parseDuration } from './duration.ts';
import { VARIABLE_NAME, type Expr } from './expression.ts';
import { hanActionSchema } from './han-schema.ts';
import { METER_ROLES, roleField } from './roles.ts';
import { SRV_OUTCOMES } from './service-requests.ts';
import { checkProblems, serviceRequestProblems, srvCodeField } from './srv-checks.ts';
import { ATTACKS, STEP_KINDS, type Captures, type Check, type StepDraft, type StepKind } from './types.ts';
import { closedObject, durationField, exprField, isRecord, kebabId, parseWith, reject, type Problem } from './zod-kit.ts';

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

/** `capture: { balanceBefore: balance }`: variable name → result field. */
const captureField: z.ZodType<Captures, unknown> = z.unknown().transform((raw, ctx) => {
  if (!isRecord(raw)) {
    reject(ctx, 'expected variable: field pairs', 'a mapping such as { balanceBefore: balance }');
    return z.NEVER;
  }
  for (const [name, field] of Object.entries(raw)) {
    if (!VARIABLE_NAME.test(name)) reject(ctx, `"${name}" is not a variable name`, 'letters, digits and _, not starting with a digit', [name], 'key');
    if (typeof field !== 'string' || !FIELD_PATH.test(field)) reject(ctx, 'not a result field', 'a field name such as balance or meter.balance', [name]);
  }
  return raw as Captures;
});

const paramsField = z.record(z.string(), exprField);
const fieldName = z.string().regex(FIELD_PATH, { error: 'not a field name (letters, digits, _ and dots)' });
const common = { id: kebabId('a step id').optional(), name: z.string().min(1).optional() };
const timed = { ...common, timeout: durationField.optional() };
const check = { op: z.enum(COMPARE_OPS), value: exprField, since: exprField.optional() };

const srvStep = closedObject({
  ...timed,
  srv: srvCodeField,
  to: roleField,
  params: paramsField.optional(),
  expect: z.enum(SRV_OUTCOMES).optional(),
  attack: z.enum(ATTACKS).optional(),
  capture: captureField.optional(),
});
const hanStep = closedObject({ ...timed, han: hanActionSchema, capture: captureField.optional() });
const waitStep = closedObject({ ...common, wait: z.unknown() });
const expectAlertStep = closedObject({
  ...timed,
  'expect-alert': closedObject({ code: z.unknown(), from: roleField, within: durationField.optional() }),
  capture: captureField.optional(),
});
const expectStateStep = closedObject({
  ...timed,
  'expect-state': closedObject({ device: roleField, field: fieldName, ...check, within: durationField.optional() }),
});
const expectReadStep = closedObject({
  ...timed,
  'expect-read': closedObject({ srv: srvCodeField, to: roleField, params: paramsField.optional(), field: fieldName, ...check }),
  capture: captureField.optional(),
});
const makeUtrnStep = closedObject({
  ...timed,
  'make-utrn': closedObject({ for: z.enum(METER_ROLES as ['esme', 'gsme']), amount: exprField }),
  capture: captureField.optional(),
});

/** Checks that need more than one field, or fields the schema keeps raw; run alongside the schema. */
function problemsFor(kind: StepKind, raw: Record<string, unknown>): Problem[] {
  const nested = raw[kind];
  const withinAndTimeout = (): Problem[] =>
    isRecord(nested) && nested.within !== undefined && raw.timeout !== undefined
      ? [{ path: ['timeout'], at: 'key', message: '"within" already sets how long this step may take; give one of within and timeout', expected: 'within or timeout, not both' }]
      : [];
  switch (kind) {
    case 'srv':
      return serviceRequestProblems(raw);
    case 'wait': {
      const parsed = typeof raw.wait === 'string' ? parseDuration(raw.wait) : undefined;
      if (parsed?.ok === true) return [];
      const message = parsed?.message ?? (typeof raw.wait === 'number' ? `${raw.wait} has no unit (ms, s, m, h or d)` : 'expected a duration');
      return [{ path: ['wait'], message, expected: DURATION_EXAMPLES }];
    }
    case 'expect-alert': {
      if (!isRecord(nested)) return [];
      const alert = nested.code === undefined ? undefined : resolveAlertCode(nested.code);
      const alertProblem: Problem[] = alert !== undefined && !alert.ok ? [{ path: ['expect-alert', 'code'], message: alert.message, expected: ALERT_EXPECTED }] : [];
      return [...alertProblem, ...withinAndTimeout()];
    }
    case 'expect-state':
      return isRecord(nested) ? [...prefixed(['expect-state'], checkProblems(nested)), ...withinAndTimeout()] : [];
    case 'expect-read':
      return isRecord(nested) ? prefixed(['expect-read'], [...serviceRequestProblems(nested), ...checkProblems(nested)]) : [];
    case 'make-utrn':
      return [];
    case 'han':
      return [];
  }
}

function prefixed(prefix: PropertyKey[], problems: Problem[]): Problem[] {
  return problems.map((problem) => ({ ...problem, path: [...prefix, ...problem.path] }));
}

/** Reads one kind of step: its closed schema, and how its fields become a StepDraft. */
interface KindReader {
  read(ctx: z.core.$RefinementCtx<unknown>, raw: Record<string, unknown>, problems: readonly Problem[]): StepDraft | undefined;
}

function reader<T>(schema: z.ZodType<T>, build: (fields: T) => StepDraft): KindReader {
  return {
    read(ctx, raw, problems) {
      const parsed = parseWith(ctx, schema, raw, problems);
      return parsed.ok ? build(parsed.value) : undefined;
    },
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function commonOf(fields: { id?: string | undefined; name?: string | undefined; timeout?: number | undefined }) {
  return { ...optional('id', fields.id), ...optional('name', fields.name), ...optional('timeout', fields.timeout) };
}

function checkOf(fields: { op: CompareOp; value: Expr; since?: Expr | undefined }): Check {
  return { op: fields.op, value: fields.value, ...optional('since', fields.since) };
}

const READERS: Readonly<Record<StepKind, KindReader>> = {
  srv: reader(srvStep, (f) => ({
    kind: 'srv',
    ...commonOf(f),
    srv: f.srv,
    to: f.to,
    params: f.params ?? {},
    expect: f.expect ?? 'success',
    ...optional('attack', f.attack),
    capture: f.capture ?? {},
  })),
  han: reader(hanStep, (f) => ({ kind: 'han', ...commonOf(f), han: f.han, capture: f.capture ?? {} })),
  wait: reader(waitStep, (f) => {
    const parsed = parseDuration(String(f.wait));
    return { kind: 'wait', ...optional('id', f.id), ...optional('name', f.name), duration: parsed.ok ? parsed.ms : 0 };
  }),
  'expect-alert': reader(expectAlertStep, (f) => {
    const alert = resolveAlertCode(f['expect-alert'].code);
    if (!alert.ok) throw new Error(`alert code passed its check but does not resolve: ${alert.message}`);
    const { from, within } = f['expect-alert'];
    return { kind: 'expect-alert', ...commonOf(f), alert: alert.alert, from, ...optional('within', within), capture: f.capture ?? {} };
  }),
  'expect-state': reader(expectStateStep, (f) => {
    const nested = f['expect-state'];
    return { kind: 'expect-state', ...commonOf(f), device: nested.device, field: nested.field, check: checkOf(nested), ...optional('within', nested.within) };
  }),
  'expect-read': reader(expectReadStep, (f) => {
    const nested = f['expect-read'];
    return {
      kind: 'expect-read',
      ...commonOf(f),
      srv: nested.srv,
      to: nested.to,
      params: nested.params ?? {},
      field: nested.field,
      check: checkOf(nested),
      capture: f.capture ?? {},
    };
  }),
  'make-utrn': reader(makeUtrnStep, (f) => ({ kind: 'make-utrn', ...commonOf(f), for: f['make-utrn'].for, amount: f['make-utrn'].amount, capture: f.capture ?? {} })),
};

const COMMON_KEYS = new Set(['id', 'name', 'timeout', 'to', 'params', 'expect', 'capture']);
const STEP_EXPECTED = `a step with one of the keys ${STEP_KINDS.join(', ')}`;

/**
 * One step. The kind is the key it has (`srv`, `han`, `wait`, `expect-alert`, ...): exactly one. Each kind is
 * then checked against its own closed set of keys.
 */
export const stepSchema: z.ZodType<StepDraft, unknown> = z.unknown().transform((raw, ctx) => {
  if (!isRecord(raw)) {
    reject(ctx, 'expected a step', STEP_EXPECTED);
    return z.NEVER;
  }
  const kinds = Object.keys(raw).filter((key): key is StepKind => (STEP_KINDS as readonly string[]).includes(key));
  const [kind, second] = kinds;
  if (kind === undefined) {
    const stranger = Object.keys(raw).find((key) => !COMMON_KEYS.has(key));
    const suggestion = stranger === undefined ? undefined : didYouMean(stranger, STEP_KINDS);
    const message = suggestion ? `unknown key "${stranger}"; did you mean "${suggestion}"?` : 'the step does not say what to do';
    reject(ctx, message, STEP_EXPECTED, suggestion ? [stranger!] : [], suggestion ? 'key' : undefined);
    return z.NEVER;
  }
  if (second !== undefined) {
    reject(ctx, `a step does one thing; this one has both "${kind}" and "${second}"`, STEP_EXPECTED, [second], 'key');
    return z.NEVER;
  }
  return READERS[kind].read(ctx, raw, problemsFor(kind, raw)) ?? z.NEVER;
});
