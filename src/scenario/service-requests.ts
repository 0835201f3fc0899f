/**
 * The DCC service requests scenarios may send, with their targets and parameters, so a typo or a missing
 * parameter is caught when the file loads rather than half-way through a run. The head-end builds the GBCS
 * for each; a request it learns to build gets its entry here.
 */
import { parseDuration, type Duration } from './duration.ts';
import { describeValue, evaluate, type Expr, type Value, type Variables } from './expression.ts';
import { dimensionOf, isQuantity, type Quantity } from './quantity.ts';
import { PAYMENT_MODES, ROLES, type PaymentMode, type Role } from './roles.ts';

export type ParamKind = 'role' | 'install-code' | 'utrn' | 'money' | 'payment-mode' | 'date-time' | 'mpxn' | 'text' | 'device-log-action';

export interface ParamSpec {
  readonly kind: ParamKind;
  readonly required?: boolean;
  readonly description: string;
}

export interface ServiceRequestSpec {
  readonly code: string;
  readonly title: string;
  /** Critical requests are signed by the supplier as well as MACed by the DCC. */
  readonly critical: boolean;
  readonly targets: readonly Role[];
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Groups of parameters of which exactly one must be given. */
  readonly exactlyOneOf?: readonly (readonly string[])[];
}

const executeAt: ParamSpec = { kind: 'date-time', description: 'future-dated execution: an ISO date-time, or +<duration> after the step starts' };

const CATALOGUE: readonly ServiceRequestSpec[] = [
  {
    code: '1.6',
    title: 'Update Payment Mode',
    critical: true,
    targets: ['esme', 'gsme'],
    params: { mode: { kind: 'payment-mode', required: true, description: 'the new payment mode' }, executeAt },
  },
  {
    code: '2.2',
    title: 'Top Up Device',
    critical: false,
    targets: ['esme', 'gsme'],
    params: {
      utrn: { kind: 'utrn', description: 'a UTRN to send as it is (20 digits)' },
      amount: { kind: 'money', description: 'have the head-end make a UTRN for this amount' },
    },
    exactlyOneOf: [['utrn', 'amount']],
  },
  { code: '2.5', title: 'Activate Emergency Credit', critical: false, targets: ['esme', 'gsme'], params: {} },
  { code: '4.3', title: 'Read Instantaneous Prepay Values', critical: false, targets: ['esme', 'gsme'], params: {} },
  { code: '4.4.2', title: 'Retrieve Change of Mode / Tariff Triggered Billing Data Log', critical: false, targets: ['esme', 'gsme'], params: {} },
  { code: '4.18', title: 'Read Meter Balance', critical: false, targets: ['esme', 'gsme'], params: {} },
  { code: '6.2.9', title: 'Read Device Configuration (Payment Mode)', critical: false, targets: ['esme', 'gsme'], params: {} },
  { code: '6.15.1', title: 'Update Security Credentials', critical: true, targets: ['chf', 'gpf', 'esme', 'gsme'], params: {} },
  {
    code: '6.20.1',
    title: 'Set MPxN',
    critical: false,
    targets: ['esme', 'gsme'],
    params: { mpxn: { kind: 'mpxn', required: true, description: 'the MPAN (13 digits) or MPRN (6 to 10 digits)' } },
  },
  { code: '8.1.1', title: 'Commission Device', critical: true, targets: ['esme', 'gsme'], params: {} },
  {
    code: '8.7.1',
    title: 'Join Service (Critical)',
    critical: true,
    targets: ['esme', 'gsme'],
    params: {
      other: { kind: 'role', required: true, description: 'the device to join with: ppmid or ihd (ESME, CS03A1), ppmid (GSME, CS03C)' },
      certificate: { kind: 'text', description: "CS03C: the other device's key agreement certificate, DER in hex" },
    },
  },
  {
    code: '8.7.2',
    title: 'Join Service (Non-Critical)',
    critical: false,
    targets: ['ppmid', 'gsme'],
    params: {
      other: { kind: 'role', required: true, description: 'the device to join with: esme (PPMID, CS03A2), gpf (GSME, CS03B)' },
      certificate: { kind: 'text', description: "CS03C: the other device's key agreement certificate, DER in hex" },
    },
  },
  { code: '8.8.1', title: 'Unjoin Service (Critical)', critical: true, targets: ['esme', 'gsme'], params: { other: { kind: 'role', required: true, description: 'the device to unjoin' } } },
  { code: '8.8.2', title: 'Unjoin Service (Non-Critical)', critical: false, targets: ['ppmid', 'gsme'], params: { other: { kind: 'role', required: true, description: 'the device to unjoin' } } },
  {
    code: '8.9',
    title: 'Read Device Log',
    critical: false,
    targets: ['chf', 'esme', 'gsme', 'ppmid'],
    params: { read: { kind: 'text', description: 'on the hub: devices (CCS06, the default) or backups (CCS07)' } },
  },
  {
    code: '8.11',
    title: 'Update HAN Device Log',
    critical: false,
    targets: ['chf'],
    params: {
      action: { kind: 'device-log-action', description: 'add (the default) or remove' },
      device: { kind: 'role', required: true, description: 'the device to add to or remove from the log' },
      installCode: { kind: 'install-code', description: "the device's install code (default: the device's own)" },
    },
  },
  { code: '8.12.1', title: 'Restore HAN Device Log', critical: false, targets: ['chf'], params: {} },
  { code: '8.12.2', title: 'Restore GPF Device Log', critical: false, targets: ['gpf'], params: {} },
  {
    code: '11.1',
    title: 'Update Firmware',
    critical: false,
    targets: ['chf', 'esme', 'gsme'],
    params: {
      image: { kind: 'text', description: 'an image file, relative to the scenario file' },
      version: { kind: 'text', description: 'have the harness build an image of this version for the target' },
    },
    exactlyOneOf: [['image', 'version']],
  },
  { code: '11.2', title: 'Read Firmware Version', critical: false, targets: ['chf', 'esme', 'gsme', 'ppmid'], params: {} },
  {
    code: '11.3',
    title: 'Activate Firmware',
    critical: true,
    targets: ['chf', 'esme', 'gsme'],
    params: { executeAt, hash: { kind: 'text', description: 'the manufacturer image hash (hex); default: the last image sent to the device' } },
  },
  { code: '11.4', title: 'Update PPMID Firmware', critical: false, targets: ['ppmid'], params: { version: { kind: 'text', required: true, description: 'the firmware version' } } },
];

export const SERVICE_REQUESTS: ReadonlyMap<string, ServiceRequestSpec> = new Map(CATALOGUE.map((spec) => [spec.code, spec]));

/** How a request ended, as a scenario expects it: `success` or a named refusal. */
export const SRV_OUTCOMES = [
  'success',
  'utrn-rejected',
  'utrn-duplicate',
  'utrn-locked-out',
  'not-commissioned',
  'authentication-failure',
  'not-authorised',
  'not-supported',
  'invalid-parameters',
  'device-log-full',
  'no-response',
] as const;
export type SrvOutcome = (typeof SRV_OUTCOMES)[number];

/** An execution time: an absolute instant, or a span after the step starts (in clock time). */
export type DateTimeSpec = { readonly kind: 'at'; readonly epochMs: number } | { readonly kind: 'after'; readonly ms: Duration };
export type ParamValue = string | Quantity | DateTimeSpec | Role | PaymentMode;

export const PARAM_EXPECTED: Readonly<Record<ParamKind, string>> = {
  role: `a role: ${ROLES.join(', ')}`,
  'install-code': 'an install code in hex: 8, 10, 14 or 18 bytes (16, 20, 28 or 36 hex digits)',
  utrn: 'a UTRN: 20 digits (spaces allowed)',
  money: 'an amount of money such as 10.00 GBP',
  'payment-mode': `one of ${PAYMENT_MODES.join(', ')}`,
  'date-time': 'an ISO 8601 date-time with a zone (2025-06-01T00:00:00Z), or +<duration> such as +1d',
  mpxn: 'an MPAN (13 digits) or MPRN (6 to 10 digits)',
  text: 'non-empty text',
  'device-log-action': 'add or remove',
};

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const INSTALL_CODE_HEX_DIGITS = new Set([16, 20, 28, 36]);

export type ParamCheck = { ok: true; value: ParamValue } | { ok: false; message: string; expected: string };

/** Checks one parameter value against its kind, and puts it in the form the head-end takes. */
export function checkParam(kind: ParamKind, value: Value): ParamCheck {
  const bad = (message: string): ParamCheck => ({ ok: false, message, expected: PARAM_EXPECTED[kind] });
  if (kind === 'money') return isQuantity(value) && dimensionOf(value.unit) === 'money' ? { ok: true, value } : bad(`${describeValue(value)} is not money`);
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return bad(`${describeValue(value)} is not ${PARAM_EXPECTED[kind]}`);
  switch (kind) {
    case 'role':
      return (ROLES as readonly string[]).includes(text) ? { ok: true, value: text as Role } : bad(`"${text}" is not a role`);
    case 'payment-mode':
      return (PAYMENT_MODES as readonly string[]).includes(text) ? { ok: true, value: text as PaymentMode } : bad(`"${text}" is not a payment mode`);
    case 'device-log-action':
      return text === 'add' || text === 'remove' ? { ok: true, value: text } : bad(`"${text}" is neither add nor remove`);
    case 'utrn': {
      const digits = text.replaceAll(' ', '');
      return /^\d{20}$/.test(digits) ? { ok: true, value: digits } : bad(`"${text}" is not 20 digits`);
    }
    case 'install-code': {
      const hex = text.replaceAll(/[\s:-]/g, '').toUpperCase();
      return /^[0-9A-F]+$/.test(hex) && INSTALL_CODE_HEX_DIGITS.has(hex.length) ? { ok: true, value: hex } : bad(`"${text}" is not an install code`);
    }
    case 'mpxn':
      return /^(\d{6,10}|\d{13})$/.test(text) ? { ok: true, value: text } : bad(`"${text}" is not an MPAN or MPRN`);
    case 'date-time':
      return checkDateTime(text, bad);
    case 'text':
      return text.trim() !== '' ? { ok: true, value: text } : bad('empty text');
  }
}

function checkDateTime(text: string, bad: (message: string) => ParamCheck): ParamCheck {
  if (text.startsWith('+')) {
    const after = parseDuration(text.slice(1));
    return after.ok ? { ok: true, value: { kind: 'after', ms: after.ms } } : bad(after.message);
  }
  const epochMs = Date.parse(text);
  return ISO_DATE_TIME.test(text) && Number.isFinite(epochMs) ? { ok: true, value: { kind: 'at', epochMs } } : bad(`"${text}" is not a date-time`);
}

export class ParamError extends Error {
  override readonly name = 'ParamError';
}

/**
 * Evaluates a step's parameters with the run's variables and checks each against its kind: what the runner
 * hands the head-end. Throws ExpressionError for a missing variable, ParamError for a value of the wrong kind.
 */
export function resolveParams(code: string, params: Readonly<Record<string, Expr>>, variables: Variables): Record<string, ParamValue> {
  const spec = SERVICE_REQUESTS.get(code);
  if (spec === undefined) throw new ParamError(`unknown service request ${code}`);
  const resolved: Record<string, ParamValue> = {};
  for (const [name, expr] of Object.entries(params)) {
    const paramSpec = spec.params[name];
    if (paramSpec === undefined) throw new ParamError(`${code} ${spec.title} takes no parameter "${name}"`);
    const checked = checkParam(paramSpec.kind, evaluate(expr, variables));
    if (!checked.ok) throw new ParamError(`${code} ${name}: ${checked.message}; expected ${checked.expected}`);
    resolved[name] = checked.value;
  }
  return resolved;
}
