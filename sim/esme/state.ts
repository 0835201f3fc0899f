import { normaliseEui, type Eui } from '../../src/crypto/eui.ts';
import type { UtrnAcceptorSnapshot } from '../../src/gbcs/utrn.ts';
import type { GuardSnapshot } from '../core/gbcs-guard.ts';
import { ACCOUNT_STATUS, ALL_CHARGES, updateSupply, type Account } from './account.ts';
import type { BillingLogEntry } from './billing-log.ts';
import { storeCell, type StoredCell, type SupplierCells } from './credentials.ts';
import type { PendingExecution } from './future-dated.ts';
import { emptyRegisters, type Registers } from './metrology.ts';
import type { ElectricityMeterOptions, EsmeReadings } from './options.ts';
import { checkTariff, CURRENCY_UNITS_PER_POUND, SINGLE_RATE_TARIFF, type Tariff } from './tariff.ts';

/**
 * What an ESME keeps in non-volatile memory: everything here survives a power cut and a reboot, and a snapshot
 * of it restores a meter exactly. Instantaneous demand and timers are volatile and not part of it.
 */
export interface EsmeState {
  commissioned: boolean;
  /** Import MPAN, as set by ECS39a. */
  mpan: string;
  firmwareVersion: number;
  /** The meter clock: an offset on the simulation clock (plus any drift fault), set by ECS70. */
  clock: { offsetMs: number; valid: boolean };
  registers: Registers;
  account: Account;
  tariff: Tariff;
  billingLog: BillingLogEntry[];
  pending: PendingExecution[];
  utrn: UtrnAcceptorSnapshot;
  /** The supplier trust anchor cells (CS02b replaces them). */
  supplierCells: { ds: StoredCell; ka: StoredCell; 'pp-ka': StoredCell };
  /** PPMIDs paired with the meter. */
  ppmids: Eui[];
}

export const SNAPSHOT_FORMAT = 'hanlab-esme/1';

/** A meter's persistent state with the GBCS guard's (counters, trust anchors), JSON-safe. */
export interface EsmeSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  state: EsmeState;
  guard: GuardSnapshot;
}

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

export function checkSnapshot(s: EsmeSnapshot): EsmeSnapshot {
  if (s?.format !== SNAPSHOT_FORMAT) throw new SnapshotError(`not an ESME snapshot (format ${JSON.stringify(s?.format)}, expected ${SNAPSHOT_FORMAT})`);
  return s;
}

const pounds = (units: number) => units / CURRENCY_UNITS_PER_POUND;
const units = (gbp: number) => Math.round(gbp * CURRENCY_UNITS_PER_POUND);

/** A new meter's state from its construction options (money in pounds there, currency units here). */
export function initialEsmeState(o: ElectricityMeterOptions, cells: SupplierCells): EsmeState {
  const ec = o.emergencyCredit ?? { limit: 10, threshold: 1 };
  const debt = o.debt ?? {};
  const account: Account = {
    mode: o.paymentMode ?? 'credit',
    status: ACCOUNT_STATUS.active,
    meterBalance: units(o.balance ?? 0),
    emergencyCredit: { limit: units(ec.limit), threshold: units(ec.threshold), balance: units(ec.limit), activated: false },
    disablementThreshold: units(o.disablementThreshold ?? 0),
    debt: {
      timeDebt: [units(debt.timeDebt?.[0] ?? 0), units(debt.timeDebt?.[1] ?? 0)],
      timeDebtRecoveryPerDay: [units(debt.timeDebtRecoveryPerDay?.[0] ?? 0), units(debt.timeDebtRecoveryPerDay?.[1] ?? 0)],
      paymentDebt: units(debt.paymentDebt ?? 0),
      paymentDebtRecoveryPercent: debt.paymentDebtRecoveryPercent ?? 0,
      accumulated: 0,
    },
    supply: 'enabled',
    charges: { ...ALL_CHARGES },
  };
  updateSupply(account);
  return {
    commissioned: o.commissioned ?? false,
    mpan: o.mpan ?? '',
    firmwareVersion: (o.firmwareVersion ?? 0x01000000) >>> 0,
    clock: { offsetMs: 0, valid: false },
    registers: emptyRegisters(),
    account,
    tariff: structuredClone(checkTariff(o.tariff ?? SINGLE_RATE_TARIFF)),
    billingLog: [],
    pending: [],
    utrn: { capacity: 100, accepted: [] },
    supplierCells: { ds: storeCell(cells.ds), ka: storeCell(cells.ka), 'pp-ka': storeCell(cells['pp-ka']) },
    ppmids: (o.ppmids ?? []).map(normaliseEui),
  };
}


/** What the meter shows, in pounds and kWh. */
export function readingsOf(s: EsmeState, demandW: number): EsmeReadings {
  const a = s.account;
  const ec = a.emergencyCredit;
  return {
    importKwh: s.registers.importWh / 1000,
    touKwh: s.registers.touWh.map((wh) => wh / 1000),
    demandW,
    paymentMode: a.mode,
    accountActive: a.status === ACCOUNT_STATUS.active,
    supply: a.supply,
    balance: pounds(a.meterBalance),
    emergencyCredit: { limit: pounds(ec.limit), threshold: pounds(ec.threshold), balance: pounds(ec.balance), activated: ec.activated },
    disablementThreshold: pounds(a.disablementThreshold),
    debt: { timeDebt: [pounds(a.debt.timeDebt[0]), pounds(a.debt.timeDebt[1])], paymentDebt: pounds(a.debt.paymentDebt), accumulated: pounds(a.debt.accumulated) },
  };
}
