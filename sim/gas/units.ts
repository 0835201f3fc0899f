import { CURRENCY_DECIMALS, moneyFromZcl, moneyToZcl } from '../core/metering-server.ts';

/**
 * How a GSME writes money and gas on the wire. Amounts are GBP with five decimal places (price trailing digit 5,
 * as the RTDS GSME reports: a £12.50 top-up reads 1250000); the volume register is m³ with three decimal places.
 */
export { CURRENCY_DECIMALS, moneyFromZcl, moneyToZcl };
const MONEY_UNITS_PER_GBP = 10 ** CURRENCY_DECIMALS;
/** Price cluster PriceTrailingDigit: the decimal places of currency amounts, in the high nibble. */
export const PRICE_TRAILING_DIGIT = CURRENCY_DECIMALS << 4;
/** ISO 4217 numeric code of the pound sterling. */
export const CURRENCY_GBP = 826;

/** Metering cluster divisor: register units per m³. */
export const VOLUME_UNITS_PER_M3 = 1000;
/** Metering cluster UnitOfMeasure 0x01: m³. */
export const UNIT_OF_MEASURE_M3 = 0x01;
/** Metering cluster MeteringDeviceType 0x01: gas metering. */
export const METERING_DEVICE_TYPE_GAS = 0x01;

/** The volume correction factor GB gas bills use (temperature and pressure). */
export const VOLUME_CORRECTION_FACTOR = 1.02264;
const MJ_PER_KWH = 3.6;

export function kWhPerM3(calorificValueMJPerM3: number): number {
  return (VOLUME_CORRECTION_FACTOR * calorificValueMJPerM3) / MJ_PER_KWH;
}

/** GBP to unsigned 32-bit currency units (bill to date, debts, emergency credit settings). */
export function unsignedMoneyUnits(gbp: number): number {
  return Math.min(2 ** 32 - 1, Math.max(0, Math.round(gbp * MONEY_UNITS_PER_GBP)));
}

/** A clock time as the whole-second instant ZCL and GBCS date-times carry. */
export function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** m³ to the volume register: whole register units, truncated as a meter's index is. */
export function volumeUnits(m3: number): number {
  return Math.floor(m3 * VOLUME_UNITS_PER_M3 + 1e-9);
}
