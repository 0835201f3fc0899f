import type { DlmsData, TypeDescription } from '../../src/gbcs/payload/dlms/data.ts';
import { doubleLong, doubleLongUnsigned, structure } from '../../src/gbcs/payload/dlms/values.ts';
import type { Account } from './account.ts';
import type { Registers } from './metrology.ts';
import { TOU_REGISTERS } from './tariff.ts';

/**
 * The change of mode / tariff triggered billing data log (read by ECS20b): a snapshot of the registers and the
 * prepayment values written whenever the payment mode changes. Block tariffs are not modelled, so the block
 * registers of an entry are the zeros a TOU-only meter holds.
 */

export const BILLING_LOG_CAPACITY = 12;
const BLOCK_PRICE_ROWS = 4;
const BLOCKS = 8;

/** The prepayment register values, in the order ECS19 reads them. */
export interface PrepaymentValues {
  meterBalance: number;
  emergencyCreditBalance: number;
  accumulatedDebt: number;
  paymentDebt: number;
  timeDebt1: number;
  timeDebt2: number;
}

export interface BillingLogEntry {
  /** Device time of the entry, ms since the epoch. */
  at: number;
  importWh: number;
  touWh: number[];
  values: PrepaymentValues;
}

export function prepaymentValues(a: Account): PrepaymentValues {
  return {
    meterBalance: a.meterBalance,
    emergencyCreditBalance: a.emergencyCredit.balance,
    accumulatedDebt: a.debt.accumulated,
    paymentDebt: a.debt.paymentDebt,
    timeDebt1: a.debt.timeDebt[0],
    timeDebt2: a.debt.timeDebt[1],
  };
}

/** The six values as DLMS double-longs (whole currency units). */
export function prepaymentValuesData(v: PrepaymentValues): DlmsData[] {
  return [v.meterBalance, v.emergencyCreditBalance, v.accumulatedDebt, v.paymentDebt, v.timeDebt1, v.timeDebt2].map((x) => doubleLong(Math.round(x)));
}

export function billingEntry(at: number, registers: Registers, account: Account): BillingLogEntry {
  return { at, importWh: registers.importWh, touWh: [...registers.touWh], values: prepaymentValues(account) };
}

/** Adds an entry, dropping the oldest beyond the log's capacity. */
export function appendEntry(log: BillingLogEntry[], entry: BillingLogEntry): void {
  log.push(entry);
  if (log.length > BILLING_LOG_CAPACITY) log.splice(0, log.length - BILLING_LOG_CAPACITY);
}

const DLU: TypeDescription = { type: 'double-long-unsigned' };
const DL: TypeDescription = { type: 'double-long' };
const ENTRY_TYPE: TypeDescription = {
  type: 'structure',
  elements: [
    DLU,
    DLU,
    { type: 'array', count: TOU_REGISTERS, element: DLU },
    ...Array.from({ length: BLOCK_PRICE_ROWS }, (): TypeDescription => ({ type: 'array', count: BLOCKS, element: DLU })),
    ...Array.from({ length: 6 }, () => DL),
  ],
};

/** GBCS time stamps in the log: seconds since 2000-01-01T00:00:00Z. */
const GBCS_EPOCH_MS = Date.UTC(2000, 0, 1);

const wh = (v: number) => doubleLongUnsigned(Math.round(v) >>> 0);
const array = (elements: DlmsData[]): DlmsData => ({ type: 'array', elements });

function entryData(e: BillingLogEntry): DlmsData {
  const zeros = () => array(Array.from({ length: BLOCKS }, () => wh(0)));
  return structure(
    doubleLongUnsigned(Math.floor((e.at - GBCS_EPOCH_MS) / 1000)),
    wh(e.importWh),
    array(e.touWh.map(wh)),
    ...Array.from({ length: BLOCK_PRICE_ROWS }, zeros),
    ...prepaymentValuesData(e.values),
  );
}

/** The log entries (already selected by range) as the compact array ECS20b returns, inside the attribute structure. */
export function billingLogData(entries: BillingLogEntry[]): DlmsData {
  return structure({ type: 'compact-array', description: ENTRY_TYPE, elements: entries.map(entryData) });
}
