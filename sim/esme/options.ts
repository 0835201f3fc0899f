import type { Eui } from '../../src/crypto/eui.ts';
import type { HanDeviceOptions } from '../core/han-device.ts';
import type { PaymentMode, SupplyState } from './account.ts';
import { CS02B_SUPPLIER_BY_SUPPLIER } from './credentials.ts';
import type { LoadModel } from './metrology.ts';
import type { Tariff } from './tariff.ts';

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
  CS01a: 0x0007,
  ECS02: 0x001a,
  ECS03: 0x001b,
  ECS09: 0x0020,
  ECS19: 0x002d,
  ECS20b: 0x002f,
  ECS39a: 0x004c,
  ECS52: 0x0059,
  ECS70: 0x0062,
  ECS82: 0x0069,
  ECS26j: 0x00be,
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

