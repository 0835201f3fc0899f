/**
 * The scenario file format: what a file may say, checked with zod. See docs/scenarios.md for the format in
 * prose, and loader.ts for reading files.
 */
import { z } from 'zod';
import { literalValue, VARIABLE_NAME, type Value } from './expression.ts';
import { rolesSchema } from './roles.ts';
import { stepSchema } from './step-schemas.ts';
import { closedObject, durationField, isRecord, kebabId, reject, textMatching } from './zod-kit.ts';

export type { Duration } from './duration.ts';
export type { Quantity, Unit } from './quantity.ts';
export type { Expr, Value } from './expression.ts';
export type { Role, RoleSettings, RoleMap, PaymentMode } from './roles.ts';
export type { CompareOp } from './compare.ts';
export type { SrvOutcome, DateTimeSpec, ParamValue } from './service-requests.ts';
export type { AlertCode } from './alerts.ts';
export type {
  Scenario,
  ScenarioDefaults,
  Step,
  StepKind,
  StepDraft,
  ServiceRequestStep,
  HanStep,
  HanAction,
  HanActionName,
  Fault,
  FaultKind,
  FaultDirection,
  WaitStep,
  ExpectAlertStep,
  ExpectStateStep,
  ExpectReadStep,
  MakeUtrnStep,
  Check,
  Captures,
} from './types.ts';
export { STEP_KINDS, HAN_ACTIONS, FAULT_KINDS } from './types.ts';
export { ROLES } from './roles.ts';

/** Used when neither the step nor the scenario's defaults give a timeout. */
export const DEFAULT_STEP_TIMEOUT = 60_000;

/**
 * Keys whose values are identifiers even when they look like numbers: `srv: 8.10`, `firmware: 1.10` and
 * `utrn: 73946144332040217315` must keep every digit as written.
 */
export const SCENARIO_TEXT_KEYS: ReadonlySet<string> = new Set(['srv', 'firmware', 'version', 'model', 'manufacturer', 'id', 'utrn', 'mpxn', 'installCode']);

const tag = textMatching(/^[a-z0-9][a-z0-9_-]*$/, 'a tag', 'lower-case letters, digits, _ and -, such as prepayment');

/** `vars: { topUp: 10 GBP }`: constants the steps use as `${topUp}`. */
const varsField: z.ZodType<Record<string, Value>, unknown> = z.unknown().transform((raw, ctx) => {
  if (!isRecord(raw)) {
    reject(ctx, 'expected name: value pairs', 'a mapping such as { topUp: 10 GBP }');
    return z.NEVER;
  }
  const vars: Record<string, Value> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!VARIABLE_NAME.test(name)) reject(ctx, `"${name}" is not a variable name`, 'letters, digits and _, not starting with a digit', [name], 'key');
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      reject(ctx, 'a variable holds one value', 'text, a number, true/false or a quantity', [name]);
    } else if (typeof value === 'string' && value.includes('${')) {
      reject(ctx, 'vars are constants; they cannot use other variables', 'a literal value', [name]);
    } else {
      vars[name] = literalValue(value);
    }
  }
  return vars;
});

export const scenarioSchema = closedObject({
  id: kebabId('a scenario id'),
  title: z.string().min(1),
  tags: z.array(tag).optional(),
  description: z.string().optional(),
  roles: rolesSchema,
  vars: varsField.optional(),
  defaults: closedObject({ timeout: durationField.optional() }).optional(),
  steps: z.array(stepSchema).min(1),
});

/** A scenario as read from the file, before cross-checks, defaults and positions. */
export type ScenarioDraft = z.output<typeof scenarioSchema>;
