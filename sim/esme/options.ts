import type { Eui } from '../../src/crypto/eui.ts';
import type { HanDeviceOptions } from '../core/han-device.ts';
import type { PaymentMode, SupplyState } from './account.ts';
import { CS02B_SUPPLIER_BY_SUPPLIER } from './credentials.ts';
import type { LoadModel } from './metrology.ts';
import type { Tariff } from './tariff.ts';
import { MESSAGE_CODE as CODE } from '../../src/gbcs/message-codes.ts';

/** The ESME's public vocabulary: what it is built with, what it shows, what it records. */

/** Faults a configuration set can plant in a meter, to prove that a test catches them. */
export const ESME_DEFECTS = [
  /** Answers a future-dated ECS02/ECS03 with a failure instead of scheduling it. */
  'refuse-future-dated-mode-change',
  /** Credits a UTRN whose counter it has already accepted. */
  'accept-reused-utrn',
] as const;
export type EsmeDefect = (typeof ESME_DEFECTS)[number];

export const ESME_MESSAGE_CODES = {
  CS01a: CODE.CS01a,
  ECS02: CODE.ECS02,
  ECS03: CODE.ECS03,
  ECS09: CODE.ECS09,
  ECS19: CODE.ECS19,
  ECS20b: CODE.ECS20b,
  ECS39a: CODE.ECS39a,
  ECS52: CODE.ECS52,
  ECS70: CODE.ECS70,
  ECS82: CODE.ECS82,
  ECS26j: CODE.ECS26j,
  CS02b: CS02B_SUPPLIER_BY_SUPPLIER,
} as const;

export interface ElectricityMeterOptions extends HanDeviceOptions {
  model?: string;
  /** 32-bit firmware version, as ECS52 reads it. */
  firmwareVersion?: number;
  paymentMode?: PaymentMode;
  /** Meter balance at installation, GBP. */
  balance?: number;
  /** GBP: what activation grants, and the balance at or below which it may be activated. */
  emergencyCredit?: { limit: number; threshold: number };
  /** GBP: the supply is disabled when the credit left reaches this. */
  disablementThreshold?: number;
  /** GBP owed at installation and how it is recovered. */
  debt?: { timeDebt?: [number, number]; timeDebtRecoveryPerDay?: [number, number]; paymentDebt?: number; paymentDebtRecoveryPercent?: number };
  tariff?: Tariff;
  load?: LoadModel;
  /** Virtual minutes between consumption ticks (each draws a new load). Default 1. */
  tickMinutes?: number;
  mpan?: string;
  commissioned?: boolean;
  defects?: readonly EsmeDefect[];
  /** PPMIDs paired with the meter (a real meter learns them from CS03A1 joins): they may top up over the HAN. */
  ppmids?: readonly Eui[];
}

export type TopUpSource = 'remote' | 'ppmid' | 'local';

export interface TopUpRecord {
  at: number;
  utrn: string;
  source: TopUpSource;
  accepted: boolean;
  /** GBP credited, when accepted. */
  amount?: number;
  refusal?: string;
}

/** What the meter shows, in pounds and kWh. */
export interface EsmeReadings {
  importKwh: number;
  touKwh: number[];
  demandW: number;
  paymentMode: PaymentMode;
  accountActive: boolean;
  supply: SupplyState;
  balance: number;
  emergencyCredit: { limit: number; threshold: number; balance: number; activated: boolean };
  disablementThreshold: number;
  debt: { timeDebt: [number, number]; paymentDebt: number; accumulated: number };
}

