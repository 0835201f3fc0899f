/**
 * The meter's import tariff: unit rates per time-of-use register, a daily switching table, and a standing
 * charge. Money on the meter is held in GBCS currency units, 1/100,000 of a pound (a thousandth of a penny):
 * the RTDS balances and prices are all whole multiples of 1000 of them.
 */

export const CURRENCY_UNITS_PER_POUND = 100_000;
export const CURRENCY_UNITS_PER_PENNY = 1000;

/** GBCS ESMEs hold up to 48 time-of-use registers. */
export const TOU_REGISTERS = 48;

export interface TouSwitch {
  /** Minutes after midnight (device time, UTC) from which the register applies. */
  fromMinute: number;
  /** Index of the TOU register (and its unit rate). */
  register: number;
}

export interface Tariff {
  /** Pence per kWh, by TOU register. */
  unitRatesPence: number[];
  /** Pence per day. */
  standingChargePencePerDay: number;
  /** Which register applies from when, through the day; the first entry must start at minute 0. */
  switches: TouSwitch[];
}

export const SINGLE_RATE_TARIFF: Tariff = { unitRatesPence: [28.62], standingChargePencePerDay: 60.1, switches: [{ fromMinute: 0, register: 0 }] };

/** Economy 7: the cheaper register from 00:30 to 07:30. */
export const ECONOMY_7_TARIFF: Tariff = {
  unitRatesPence: [33.5, 15.2],
  standingChargePencePerDay: 60.1,
  switches: [
    { fromMinute: 0, register: 0 },
    { fromMinute: 30, register: 1 },
    { fromMinute: 450, register: 0 },
  ],
};

export class TariffError extends Error {
  override readonly name = 'TariffError';
}

export function checkTariff(t: Tariff): Tariff {
  const n = t.unitRatesPence.length;
  if (n < 1 || n > TOU_REGISTERS) throw new TariffError(`a tariff has 1..${TOU_REGISTERS} unit rates, got ${n}`);
  if (t.unitRatesPence.some((r) => !(r >= 0))) throw new TariffError('unit rates are non-negative pence per kWh');
  if (!(t.standingChargePencePerDay >= 0)) throw new TariffError('the standing charge is non-negative pence per day');
  if (t.switches[0]?.fromMinute !== 0) throw new TariffError('the switching table must start at minute 0');
  for (let i = 0; i < t.switches.length; i++) {
    const s = t.switches[i]!;
    if (!Number.isInteger(s.register) || s.register < 0 || s.register >= n) throw new TariffError(`switch ${i} names register ${s.register}, which has no unit rate`);
    if (i > 0 && !(s.fromMinute > t.switches[i - 1]!.fromMinute && s.fromMinute < 1440)) throw new TariffError('switch times must increase within the day');
  }
  return t;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The TOU register in force at a device time. */
export function touRegisterAt(t: Tariff, deviceTimeMs: number): number {
  const minute = Math.floor((((deviceTimeMs % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
  let register = t.switches[0]!.register;
  for (const s of t.switches) if (s.fromMinute <= minute) register = s.register;
  return register;
}

/** The device time of the next register switch after `deviceTimeMs` (so an accrual never straddles one). */
export function nextSwitchAfter(t: Tariff, deviceTimeMs: number): number {
  const dayStart = Math.floor(deviceTimeMs / DAY_MS) * DAY_MS;
  for (const s of t.switches) {
    const at = dayStart + s.fromMinute * MINUTE_MS;
    if (at > deviceTimeMs) return at;
  }
  return dayStart + DAY_MS;
}

/** Currency units for energy at a register's rate. */
export function energyCost(t: Tariff, register: number, wh: number): number {
  return (wh / 1000) * (t.unitRatesPence[register] ?? 0) * CURRENCY_UNITS_PER_PENNY;
}

/** Currency units of standing charge over a period. */
export function standingCharge(t: Tariff, ms: number): number {
  return (ms / DAY_MS) * t.standingChargePencePerDay * CURRENCY_UNITS_PER_PENNY;
}
