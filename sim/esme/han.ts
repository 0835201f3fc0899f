import { UtrnAcceptor, parseUtrn, type UtrnAcceptance, type UtrnAcceptorOptions, type UtrnAcceptorSnapshot } from '../../src/gbcs/utrn.ts';
import { PAYMENT_CONTROL_PREPAYMENT, type MeterReadings } from '../core/metering-server.ts';
import type { EsmeReadings } from './options.ts';

/**
 * What the ESME shows on the HAN: its Metering and Prepayment cluster readings for IHDs and PPMIDs, and the UTRN
 * check that a PPMID top-up (PECS01) and a remote one (CS01a) share.
 */

/** Prepayment CreditStatus bits (SE 1.2). */
const CREDIT_STATUS = { creditOk: 0x01, lowCredit: 0x02, emergencyCreditEnabled: 0x04, emergencyCreditAvailable: 0x08, emergencyCreditSelected: 0x10, emergencyCreditInUse: 0x20, creditExhausted: 0x40 } as const;

export function creditStatus(v: EsmeReadings): number {
  const ec = v.emergencyCredit;
  let bits = CREDIT_STATUS.emergencyCreditEnabled;
  if (v.balance > v.disablementThreshold) bits |= CREDIT_STATUS.creditOk;
  if (v.balance <= ec.threshold) bits |= CREDIT_STATUS.lowCredit;
  if (!ec.activated && v.balance <= ec.threshold && ec.balance > 0) bits |= CREDIT_STATUS.emergencyCreditAvailable;
  if (ec.activated) bits |= CREDIT_STATUS.emergencyCreditSelected;
  if (ec.activated && ec.balance < ec.limit) bits |= CREDIT_STATUS.emergencyCreditInUse;
  if (v.supply === 'disabled') bits |= CREDIT_STATUS.creditExhausted;
  return bits;
}

/** The readings the metering server turns into Metering (kWh, kW) and Prepayment (GBP) attributes. */
export function hanReadings(v: EsmeReadings, mpan: string, at: number): MeterReadings {
  return {
    metering: { summationDelivered: v.importKwh, instantaneousDemand: v.demandW / 1000, ...(mpan ? { siteId: mpan } : {}) },
    prepayment: {
      creditRemainingGbp: v.balance,
      emergencyCreditRemainingGbp: v.emergencyCredit.balance,
      creditStatus: creditStatus(v),
      paymentControlConfiguration: v.paymentMode === 'prepayment' ? PAYMENT_CONTROL_PREPAYMENT : 0,
      accumulatedDebtGbp: v.debt.accumulated,
      emergencyCreditLimitGbp: v.emergencyCredit.limit,
      emergencyCreditThresholdGbp: v.emergencyCredit.threshold,
      creditUpdatedAt: at,
    },
  };
}

/**
 * The meter's UTRN check, whichever way a UTRN arrives. With the `accept-reused-utrn` defect planted it credits
 * a UTRN whose counter it has already accepted, as a faulty meter would.
 */
export class MeterUtrnAcceptor extends UtrnAcceptor {
  constructor(
    options: UtrnAcceptorOptions,
    snapshot: UtrnAcceptorSnapshot,
    private readonly acceptsReused: boolean,
  ) {
    super(options, snapshot);
  }

  override accept(utrn: string, context: { originatorCounter?: bigint } = {}): UtrnAcceptance {
    const acceptance = super.accept(utrn, context);
    if (acceptance.ok || acceptance.reason !== 'reused-counter' || !this.acceptsReused) return acceptance;
    const parsed = parseUtrn(utrn);
    return { ok: true, value: parsed.value, valueClass: parsed.valueClass, counter: context.originatorCounter ?? BigInt(parsed.counterField) << 32n };
  }
}
