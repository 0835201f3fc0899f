/**
 * The meter's payment account, as SMETS2 describes it: in prepayment mode charges come out of the meter balance,
 * then out of emergency credit once it is activated; what cannot be paid becomes accumulated debt. When the credit
 * left reaches the disablement threshold the supply is disabled; new credit arms it again and the consumer's
 * button press enables it. In credit mode nothing is deducted and the supply is never disabled for want of credit.
 * All amounts are GBCS currency units (see tariff.ts). Functions here change the account they are given.
 */

export type PaymentMode = 'credit' | 'prepayment';
export type SupplyState = 'enabled' | 'disabled' | 'armed';

export interface EmergencyCredit {
  /** What activation grants. */
  limit: number;
  /** Activation is allowed once the meter balance is at or below this. */
  threshold: number;
  /** What is left of it; the limit when unused. */
  balance: number;
  activated: boolean;
}

export interface Debt {
  /** Time-based debt registers 1 and 2: still owed. */
  timeDebt: [number, number];
  /** Recovered per day from each time-based debt register. */
  timeDebtRecoveryPerDay: [number, number];
  /** Payment-based debt: recovered as a share of each top-up. */
  paymentDebt: number;
  paymentDebtRecoveryPercent: number;
  /** Charges that fell due with no credit to pay them; the next top-up pays them first. */
  accumulated: number;
}

/** Which charges are taken from credit, as the credit charge configuration of ECS02/ECS03 says. */
export interface ChargeSet {
  energy: boolean;
  standingCharge: boolean;
  timeDebt1: boolean;
  timeDebt2: boolean;
  paymentDebt: boolean;
}

export const ALL_CHARGES: ChargeSet = { energy: true, standingCharge: true, timeDebt1: true, timeDebt2: true, paymentDebt: true };

/** DLMS account_status: a payment mode that has been set but not yet activated is "new". */
export const ACCOUNT_STATUS = { new: 1, active: 2 } as const;

export interface Account {
  mode: PaymentMode;
  status: (typeof ACCOUNT_STATUS)[keyof typeof ACCOUNT_STATUS];
  meterBalance: number;
  emergencyCredit: EmergencyCredit;
  disablementThreshold: number;
  debt: Debt;
  supply: SupplyState;
  charges: ChargeSet;
}

export function availableCredit(a: Account): number {
  return a.meterBalance + (a.emergencyCredit.activated ? a.emergencyCredit.balance : 0);
}

/** Disables a prepayment supply with no credit left; arms one that has credit again (or is in credit mode). */
export function updateSupply(a: Account): void {
  const exhausted = a.mode === 'prepayment' && availableCredit(a) <= a.disablementThreshold;
  if (a.supply === 'enabled' && exhausted) a.supply = 'disabled';
  else if (a.supply === 'disabled' && !exhausted) a.supply = 'armed';
}

/** Takes a charge from credit (prepayment mode only): meter balance, then emergency credit, then debt. */
export function collect(a: Account, amount: number): void {
  if (a.mode !== 'prepayment' || amount <= 0) return;
  let due = amount;
  const fromBalance = Math.min(due, Math.max(0, a.meterBalance));
  a.meterBalance -= fromBalance;
  due -= fromBalance;
  const ec = a.emergencyCredit;
  if (ec.activated && due > 0) {
    const fromEc = Math.min(due, ec.balance);
    ec.balance -= fromEc;
    due -= fromEc;
  }
  a.debt.accumulated += due;
  updateSupply(a);
}

export interface PeriodCharges {
  /** Cost of the energy used in the period. */
  energy: number;
  /** Standing charge for the period. */
  standingCharge: number;
  /** Length of the period, for time-based debt recovery. */
  ms: number;
}

const DAY_MS = 86_400_000;

/** Collects what a period of supply costs: energy, standing charge and time-based debt recovery. */
export function collectPeriod(a: Account, p: PeriodCharges): void {
  if (a.mode !== 'prepayment') return;
  if (a.charges.energy) collect(a, p.energy);
  if (a.charges.standingCharge) collect(a, p.standingCharge);
  const recover = (i: 0 | 1, enabled: boolean) => {
    if (!enabled) return;
    const amount = Math.min(a.debt.timeDebt[i], (a.debt.timeDebtRecoveryPerDay[i] * p.ms) / DAY_MS);
    a.debt.timeDebt[i] -= amount;
    collect(a, amount);
  };
  recover(0, a.charges.timeDebt1);
  recover(1, a.charges.timeDebt2);
}

export interface TopUpSplit {
  emergencyCreditRepaid: number;
  accumulatedDebtRepaid: number;
  paymentDebtRepaid: number;
  toMeterBalance: number;
}

/** Credit from a top-up: emergency credit used is repaid first, then accumulated debt, then a share to payment debt. */
export function topUp(a: Account, amount: number): TopUpSplit {
  let left = amount;
  const ec = a.emergencyCredit;
  let emergencyCreditRepaid = 0;
  if (ec.activated) {
    emergencyCreditRepaid = Math.min(left, ec.limit - ec.balance);
    ec.balance += emergencyCreditRepaid;
    left -= emergencyCreditRepaid;
    if (ec.balance >= ec.limit) ec.activated = false;
  }
  const accumulatedDebtRepaid = Math.min(left, a.debt.accumulated);
  a.debt.accumulated -= accumulatedDebtRepaid;
  left -= accumulatedDebtRepaid;
  const paymentDebtRepaid = a.charges.paymentDebt ? Math.min(a.debt.paymentDebt, (left * a.debt.paymentDebtRecoveryPercent) / 100) : 0;
  a.debt.paymentDebt -= paymentDebtRepaid;
  left -= paymentDebtRepaid;
  a.meterBalance += left;
  updateSupply(a);
  return { emergencyCreditRepaid, accumulatedDebtRepaid, paymentDebtRepaid, toMeterBalance: left };
}

/**
 * Activates emergency credit if the rules allow (prepayment mode, balance at or below the threshold, some left).
 * Returns whether emergency credit is active afterwards: GBCS ECS09 succeeds then, even if it already was.
 */
export function activateEmergencyCredit(a: Account): boolean {
  const ec = a.emergencyCredit;
  if (ec.activated) return true;
  if (a.mode !== 'prepayment' || a.meterBalance > ec.threshold || ec.balance <= 0) return false;
  ec.activated = true;
  updateSupply(a);
  return true;
}

/** The consumer presses the button: an armed supply is enabled. */
export function enableArmedSupply(a: Account): boolean {
  if (a.supply !== 'armed') return false;
  a.supply = 'enabled';
  updateSupply(a);
  return a.supply === 'enabled';
}

export function setPaymentMode(a: Account, mode: PaymentMode): void {
  a.mode = mode;
  a.status = ACCOUNT_STATUS.active;
  updateSupply(a);
}
