import { PAYMENT_CONTROL } from '../../src/gbcs/payload/gbz/index.ts';
import { kWhPerM3 } from './units.ts';

/**
 * What a gas meter holds and how it changes over time: the volume registers, the meter balance, emergency credit,
 * the valve, the payment mode and the billing data log. Gas flows at a rate that changes only when the meter is
 * told (at each wake), so any instant's state follows exactly from the last: reading it more or less often
 * changes nothing. Every public method first brings the state up to the clock's time. No I/O.
 */

export type PaymentMode = 'credit' | 'prepayment';
/** The valve: `armed` after credit returns, until the consumer presses the button to let gas flow again. */
export type SupplyState = 'enabled' | 'armed' | 'disabled';

/** Payment Control Configuration bit 1: prepayment enabled. The rest of the bitmap is kept as written. */
export const PREPAYMENT_ENABLED = 0x0002;

/** Metering cluster SnapshotCause bits the billing data log records. */
export const SNAPSHOT_CAUSE = {
  CHANGE_OF_TARIFF: 0x0000_0008,
  CHANGE_OF_SUPPLIER: 0x0000_2000,
  CHANGE_OF_MODE: 0x0000_4000,
} as const;

/** The meter's register layout: four tier and four block registers; its single-rate tariff uses the first of each. */
export const TIER_REGISTERS = 4;
export const BLOCK_REGISTERS = 4;
/** Change of mode / tariff snapshots the billing data log keeps (GCS15b asks for twelve). */
export const BILLING_LOG_CAPACITY = 12;

export interface BillingSnapshot {
  id: number;
  /** Device time, ms since the epoch. */
  at: number;
  cause: number;
  balanceGbp: number;
  emergencyCreditRemainingGbp: number;
  accumulatedDebtGbp: number;
  debtsGbp: readonly [number, number, number];
  volumeM3: number;
  tierVolumesM3: readonly number[];
  blockVolumesM3: readonly number[];
}

export interface EmergencyCredit {
  limitGbp: number;
  /** Emergency credit may be selected once the balance above the cut-off falls to this. */
  thresholdGbp: number;
  remainingGbp: number;
  /** Selected by the consumer or remotely (GCS06), until top-ups have repaid what was used. */
  active: boolean;
}

export interface GasMeterModelOptions {
  now: () => number;
  paymentMode: PaymentMode;
  balanceGbp: number;
  emergencyCredit: { limitGbp: number; thresholdGbp: number };
  /** Debt registers 1 to 3 (debt recovery is not modelled: they stay as given). */
  debtsGbp?: readonly [number, number, number];
  volumeM3?: number;
  flowM3PerHour: number;
  calorificValueMJPerM3: number;
  unitRateGbpPerKwh: number;
}

const MS_PER_HOUR = 3_600_000;

export class GasMeterModel {
  readonly debtsGbp: readonly [number, number, number];
  readonly accumulatedDebtGbp = 0;
  readonly billingLog: BillingSnapshot[] = [];
  readonly calorificValueMJPerM3: number;
  readonly unitRateGbpPerKwh: number;
  private config: number;
  private cutOff = 0;
  private balance: number;
  private billToDate = 0;
  private readonly ec: EmergencyCredit;
  private valve: SupplyState = 'enabled';
  private volume: number;
  private readonly tierVolumes: number[] = new Array<number>(TIER_REGISTERS).fill(0);
  private readonly blockVolumes: number[] = new Array<number>(BLOCK_REGISTERS).fill(0);
  private readonly now: () => number;
  private readonly baseFlowM3PerHour: number;
  private flowMultiplier = 1;
  private accruedTo: number;
  private nextSnapshotId = 0;

  constructor(o: GasMeterModelOptions) {
    this.now = o.now;
    this.accruedTo = o.now();
    this.config = o.paymentMode === 'prepayment' ? PAYMENT_CONTROL.PREPAYMENT : PAYMENT_CONTROL.CREDIT;
    this.balance = o.balanceGbp;
    this.ec = { limitGbp: o.emergencyCredit.limitGbp, thresholdGbp: o.emergencyCredit.thresholdGbp, remainingGbp: o.emergencyCredit.limitGbp, active: false };
    this.debtsGbp = o.debtsGbp ?? [0, 0, 0];
    this.volume = o.volumeM3 ?? 0;
    this.tierVolumes[0] = this.volume;
    this.blockVolumes[0] = this.volume;
    this.baseFlowM3PerHour = o.flowM3PerHour;
    this.calorificValueMJPerM3 = o.calorificValueMJPerM3;
    this.unitRateGbpPerKwh = o.unitRateGbpPerKwh;
  }

  get paymentControlConfiguration(): number {
    return this.config;
  }

  get paymentMode(): PaymentMode {
    return this.config & PREPAYMENT_ENABLED ? 'prepayment' : 'credit';
  }

  /** The balance at which supply is cut in prepayment mode (GCS02/03 cutOffValue). */
  get cutOffGbp(): number {
    return this.cutOff;
  }

  /** The meter balance (CreditRemaining); in credit mode it may go below zero. */
  get balanceGbp(): number {
    this.accrue();
    return this.balance;
  }

  get billToDateGbp(): number {
    this.accrue();
    return this.billToDate;
  }

  get emergencyCredit(): Readonly<EmergencyCredit> {
    this.accrue();
    return { ...this.ec };
  }

  get supply(): SupplyState {
    this.accrue();
    return this.valve;
  }

  get volumeM3(): number {
    this.accrue();
    return this.volume;
  }

  /** The energy the volume stands for, at the calorific value and the GB volume correction factor. */
  get energyKWh(): number {
    return this.volumeM3 * kWhPerM3(this.calorificValueMJPerM3);
  }

  get tierVolumesM3(): readonly number[] {
    this.accrue();
    return [...this.tierVolumes];
  }

  get blockVolumesM3(): readonly number[] {
    this.accrue();
    return [...this.blockVolumes];
  }

  /** Gas flowing now, m³/h: nothing while the valve is shut. */
  get flowM3PerHour(): number {
    this.accrue();
    return this.valve === 'enabled' ? this.baseFlowM3PerHour * this.flowMultiplier : 0;
  }

  get costPerM3Gbp(): number {
    return kWhPerM3(this.calorificValueMJPerM3) * this.unitRateGbpPerKwh;
  }

  /** The household's demand from now on, as a multiple of the base flow. */
  setFlowMultiplier(multiplier: number): void {
    this.accrue();
    this.flowMultiplier = Math.max(0, multiplier);
  }

  /** Adds a top-up: it first repays emergency credit used, then raises the balance. */
  applyTopUp(gbp: number): void {
    this.accrue();
    const ec = this.ec;
    let amount = gbp;
    if (ec.active) {
      const repaid = Math.min(amount, ec.limitGbp - ec.remainingGbp);
      ec.remainingGbp += repaid;
      amount -= repaid;
      if (ec.remainingGbp >= ec.limitGbp) ec.active = false;
    }
    this.balance += amount;
    this.armIfCreditReturned();
  }

  /** GCS06 / the consumer: selects emergency credit if the meter offers it now. */
  activateEmergencyCredit(): boolean {
    this.accrue();
    const ec = this.ec;
    if (this.paymentMode !== 'prepayment' || ec.remainingGbp <= 0) return false;
    if (!ec.active && this.balance - this.cutOff > ec.thresholdGbp) return false;
    ec.active = true;
    this.armIfCreditReturned();
    return true;
  }

  /** Changes the payment mode, recording a change-of-mode snapshot of the state it leaves. */
  changePaymentMode(paymentControlConfiguration: number, cutOffGbp: number, deviceTime: number): void {
    this.takeSnapshot(SNAPSHOT_CAUSE.CHANGE_OF_MODE, deviceTime);
    this.config = paymentControlConfiguration;
    this.cutOff = cutOffGbp;
    if (this.paymentMode === 'credit' && this.valve === 'disabled') this.valve = 'armed';
  }

  /** The consumer presses the button on an armed meter: gas flows again. */
  pressButton(): boolean {
    this.accrue();
    if (this.valve !== 'armed') return false;
    this.valve = 'enabled';
    return true;
  }

  takeSnapshot(cause: number, deviceTime: number): BillingSnapshot {
    this.accrue();
    const snapshot: BillingSnapshot = {
      id: this.nextSnapshotId++,
      at: deviceTime,
      cause,
      balanceGbp: this.balance,
      emergencyCreditRemainingGbp: this.ec.remainingGbp,
      accumulatedDebtGbp: this.accumulatedDebtGbp,
      debtsGbp: this.debtsGbp,
      volumeM3: this.volume,
      tierVolumesM3: [...this.tierVolumes],
      blockVolumesM3: [...this.blockVolumes],
    };
    this.billingLog.push(snapshot);
    if (this.billingLog.length > BILLING_LOG_CAPACITY) this.billingLog.shift();
    return snapshot;
  }

  /** Snapshots taken within [from, to] for any of the causes, most recent first (ZCL snapshot offset 0). */
  findSnapshots(from: number, to: number, causes: number): BillingSnapshot[] {
    return this.billingLog.filter((s) => s.at >= from && s.at <= to && (s.cause & causes) !== 0).reverse();
  }

  /** Brings registers and balance up to the clock: gas used since, charged at the unit rate. */
  private accrue(): void {
    const now = this.now();
    const hours = (now - this.accruedTo) / MS_PER_HOUR;
    this.accruedTo = Math.max(this.accruedTo, now);
    const flow = this.baseFlowM3PerHour * this.flowMultiplier;
    if (hours <= 0 || this.valve !== 'enabled' || flow <= 0) return;
    const costPerHour = flow * this.costPerM3Gbp;
    if (this.paymentMode === 'prepayment' && costPerHour > 0) {
      const available = this.availableCredit();
      const hoursOfCredit = available / costPerHour;
      if (hoursOfCredit < hours) {
        this.consume(flow * hoursOfCredit, available);
        this.valve = 'disabled';
        return;
      }
    }
    this.consume(flow * hours, costPerHour * hours);
  }

  /** Credit the consumer can still use before the valve shuts (prepayment). */
  private availableCredit(): number {
    return Math.max(0, this.balance - this.cutOff) + (this.ec.active ? this.ec.remainingGbp : 0);
  }

  private consume(m3: number, costGbp: number): void {
    this.volume += m3;
    this.tierVolumes[0] = (this.tierVolumes[0] ?? 0) + m3;
    this.blockVolumes[0] = (this.blockVolumes[0] ?? 0) + m3;
    this.billToDate += costGbp;
    if (this.paymentMode === 'credit') {
      this.balance -= costGbp;
      return;
    }
    const fromBalance = Math.min(costGbp, Math.max(0, this.balance - this.cutOff));
    this.balance -= fromBalance;
    if (this.ec.active) this.ec.remainingGbp = Math.max(0, this.ec.remainingGbp - (costGbp - fromBalance));
  }

  private armIfCreditReturned(): void {
    if (this.valve === 'disabled' && (this.paymentMode === 'credit' || this.availableCredit() > 0)) this.valve = 'armed';
  }
}
