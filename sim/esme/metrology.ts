import type { Random } from '../../src/time/random.ts';
import { collectPeriod, type Account } from './account.ts';
import { energyCost, nextSwitchAfter, standingCharge, touRegisterAt, TOU_REGISTERS, type Tariff } from './tariff.ts';

/** Active import energy registers, Wh: the total and one per TOU register. */
export interface Registers {
  importWh: number;
  touWh: number[];
}

export function emptyRegisters(): Registers {
  return { importWh: 0, touWh: new Array<number>(TOU_REGISTERS).fill(0) };
}

/** The premises' load: fixed, or drawn afresh every tick around a mean from the meter's random stream. */
export type LoadModel = { watts: number } | { meanWatts: number };

export function drawLoad(model: LoadModel, random: Random): number {
  if ('watts' in model) return model.watts;
  // Between a quarter and one and three quarters of the mean: a plausible household spread.
  return Math.round(model.meanWatts * (0.25 + 1.5 * random.float()));
}

export interface Interval {
  /** Device time at the start of the interval (TOU registers follow the meter's own clock). */
  fromDeviceMs: number;
  ms: number;
  /** Load drawn through the interval; zero when the supply is not enabled. */
  watts: number;
}

const WH_PER_WATT_MS = 1 / 3_600_000;

/**
 * Advances the registers over an interval, split at TOU switch times, and collects its cost (energy, standing
 * charge, time-based debt) from the account.
 */
export function accrue(registers: Registers, account: Account, tariff: Tariff, interval: Interval): void {
  let at = interval.fromDeviceMs;
  const end = interval.fromDeviceMs + interval.ms;
  let energy = 0;
  while (at < end && interval.watts > 0) {
    const segmentEnd = Math.min(end, nextSwitchAfter(tariff, at));
    const register = touRegisterAt(tariff, at);
    const wh = interval.watts * (segmentEnd - at) * WH_PER_WATT_MS;
    registers.importWh += wh;
    registers.touWh[register] = (registers.touWh[register] ?? 0) + wh;
    energy += energyCost(tariff, register, wh);
    at = segmentEnd;
  }
  collectPeriod(account, { energy, standingCharge: standingCharge(tariff, interval.ms), ms: interval.ms });
}
