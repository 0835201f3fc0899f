import type { AccessRequest } from '../../src/gbcs/payload/dlms/apdu.ts';
import type { Outcome } from '../../src/gbcs/payload/dlms/builders.ts';
import type { DlmsData } from '../../src/gbcs/payload/dlms/data.ts';
import { formatObis } from '../../src/gbcs/payload/dlms/obis.ts';
import { RESULT } from '../../src/gbcs/payload/dlms/results.ts';
import type { ChargeSet, PaymentMode } from './account.ts';
import { addresses, readDateTime, type ActivationTime, type Target } from './dlms.ts';

/**
 * ECS02 / ECS03 read into what they ask for. The values they set are passive: each takes effect at its
 * activation date-time — now, later (future-dated), or never (a pending change cancelled).
 */

export const ACCOUNT_CLASS = 111;
export const PAYMENT_MODE_OBJECT = '0-1:19.0.0.255';
export const EXTENDED_DATA_CLASS = 9000;
export const DISABLEMENT_THRESHOLD_OBJECT = '0-0:94.44.128.22';

const set = (classId: number, obis: string, id: number): Target => ({ service: 'set', classId, obis, id });
const MODE = set(ACCOUNT_CLASS, PAYMENT_MODE_OBJECT, 2);
const CHARGE_CONFIGURATION = set(ACCOUNT_CLASS, PAYMENT_MODE_OBJECT, 11);
export const MODE_ACTIVATION = set(ACCOUNT_CLASS, PAYMENT_MODE_OBJECT, 13);
const THRESHOLD = set(EXTENDED_DATA_CLASS, DISABLEMENT_THRESHOLD_OBJECT, 4);
export const THRESHOLD_ACTIVATION = set(EXTENDED_DATA_CLASS, DISABLEMENT_THRESHOLD_OBJECT, 6);

const DLMS_PAYMENT_MODES: Record<number, PaymentMode> = { 1: 'credit', 2: 'prepayment' };

/** Charge references of the credit charge configuration and the charge each stands for. */
const CHARGE_REFERENCES: Record<string, keyof ChargeSet> = {
  '0-0:19.20.0.255': 'energy',
  '0-0:19.20.5.255': 'energy',
  '0-0:19.20.4.255': 'standingCharge',
  '0-0:19.20.1.255': 'timeDebt1',
  '0-0:19.20.2.255': 'timeDebt2',
  '0-0:19.20.3.255': 'paymentDebt',
};

/**
 * One passive value and when it activates: `target` is the activation attribute (the future-dated alert names it)
 * and `item` the index of the request item that set the activation time.
 */
export type Activation = ({ kind: 'payment-mode'; mode: PaymentMode; charges?: ChargeSet } | { kind: 'disablement-threshold'; value: number }) & {
  at: ActivationTime;
  target: Target;
  item: number;
};

export interface PaymentModeCommand {
  /** The outcome of each item, as far as processing got (break-on-error). */
  outcomes: Outcome[];
  /** In the order their activation times came in the command; empty unless every item succeeded. */
  activations: Activation[];
}

function readCharges(d: DlmsData | undefined): ChargeSet | undefined {
  if (d?.type !== 'array') return undefined;
  const charges: ChargeSet = { energy: false, standingCharge: false, timeDebt1: false, timeDebt2: false, paymentDebt: false };
  for (const entry of d.elements) {
    const ref = entry.type === 'structure' ? entry.elements[1] : undefined;
    if (ref?.type !== 'octet-string' || ref.value.length !== 6) return undefined;
    const charge = CHARGE_REFERENCES[formatObis(ref.value)];
    if (charge) charges[charge] = true;
  }
  return charges;
}

function readMode(d: DlmsData | undefined): PaymentMode | undefined {
  const mode = d?.type === 'structure' ? d.elements[0] : undefined;
  return mode?.type === 'enum' ? DLMS_PAYMENT_MODES[mode.value] : undefined;
}

/** Reads an ECS02 (to credit) or ECS03 (to prepayment) command; `expected` is the mode its message code sets. */
export function readPaymentModeCommand(request: AccessRequest, expected: PaymentMode): PaymentModeCommand {
  const outcomes: Outcome[] = [];
  let mode: PaymentMode | undefined;
  let charges: ChargeSet | undefined;
  let threshold: number | undefined;
  const activations: Activation[] = [];
  const fail = (result: number) => {
    outcomes.push({ result });
    return { outcomes, activations: [] };
  };
  for (let i = 0; i < request.requests.length; i++) {
    const spec = request.requests[i];
    const data = request.data[i];
    if (addresses(spec, MODE)) {
      mode = readMode(data);
      if (mode !== expected) return fail(RESULT.typeUnmatched);
    } else if (addresses(spec, CHARGE_CONFIGURATION)) {
      charges = readCharges(data);
      if (!charges) return fail(RESULT.typeUnmatched);
    } else if (addresses(spec, THRESHOLD) && expected === 'prepayment') {
      if (data?.type !== 'double-long') return fail(RESULT.typeUnmatched);
      threshold = data.value;
    } else if (addresses(spec, THRESHOLD_ACTIVATION) && threshold !== undefined) {
      const at = readDateTime(data);
      if (at === undefined) return fail(RESULT.typeUnmatched);
      activations.push({ kind: 'disablement-threshold', value: threshold, at, target: THRESHOLD_ACTIVATION, item: i });
    } else if (addresses(spec, MODE_ACTIVATION) && mode !== undefined) {
      const at = readDateTime(data);
      if (at === undefined) return fail(RESULT.typeUnmatched);
      activations.push({ kind: 'payment-mode', mode, ...(charges ? { charges } : {}), at, target: MODE_ACTIVATION, item: i });
    } else {
      return fail(RESULT.objectUndefined);
    }
    outcomes.push({});
  }
  if (!activations.some((a) => a.kind === 'payment-mode')) return { outcomes: [...outcomes.slice(0, -1), { result: RESULT.objectUnavailable }], activations: [] };
  return { outcomes, activations };
}
