/**
 * Measured amounts in scenario files: money (`10.00 GBP`, `£10`, `250 p`), energy (`12.5 kWh`, `300 Wh`) and
 * gas volume (`3.2 m3`). Comparing and adding work across units of one dimension (`1 GBP` equals `100 p`).
 */
export type Unit = 'GBP' | 'p' | 'kWh' | 'Wh' | 'm3';
export const UNITS: readonly Unit[] = ['GBP', 'p', 'kWh', 'Wh', 'm3'];

export interface Quantity {
  readonly value: number;
  readonly unit: Unit;
}

export type Dimension = 'money' | 'energy' | 'volume';

/** Each unit as a multiple of its dimension's base unit (pence, watt-hours, cubic metres). */
const UNIT_INFO: Readonly<Record<Unit, { dimension: Dimension; perBase: number }>> = {
  GBP: { dimension: 'money', perBase: 100 },
  p: { dimension: 'money', perBase: 1 },
  kWh: { dimension: 'energy', perBase: 1000 },
  Wh: { dimension: 'energy', perBase: 1 },
  m3: { dimension: 'volume', perBase: 1 },
};

export const QUANTITY_EXAMPLES = 'a quantity such as 10.00 GBP, 250 p, 12.5 kWh, 300 Wh or 3.2 m3';

const QUANTITY = /^([+-]?\d+(?:\.\d+)?)\s*(GBP|p|kWh|Wh|m3|m³)$/;
const POUNDS = /^([+-]?)£(\d+(?:\.\d+)?)$/;

export function isQuantity(value: unknown): value is Quantity {
  return typeof value === 'object' && value !== null && typeof (value as Quantity).value === 'number' && UNITS.includes((value as Quantity).unit);
}

/** Reads "10.00 GBP", "£10", "-2 p", "12.5kWh", "3 m³"; undefined when the text is not a quantity. */
export function parseQuantity(text: string): Quantity | undefined {
  const source = text.trim();
  const pounds = POUNDS.exec(source);
  if (pounds !== null) return { value: Number(`${pounds[1]}${pounds[2]}`), unit: 'GBP' };
  const match = QUANTITY.exec(source);
  if (match === null) return undefined;
  const unit = match[2] === 'm³' ? 'm3' : (match[2] as Unit);
  return { value: Number(match[1]), unit };
}

export function dimensionOf(unit: Unit): Dimension {
  return UNIT_INFO[unit].dimension;
}

/** Rounds away binary floating-point noise (10.01 GBP is 1001 p, not 1000.9999999999999 p). */
function clean(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function convert(quantity: Quantity, unit: Unit): Quantity {
  const from = UNIT_INFO[quantity.unit];
  const to = UNIT_INFO[unit];
  if (from.dimension !== to.dimension) throw new RangeError(`cannot convert ${formatQuantity(quantity)} (${from.dimension}) to ${unit} (${to.dimension})`);
  return { value: clean((quantity.value * from.perBase) / to.perBase), unit };
}

/** Negative, zero or positive as a is less than, equal to or more than b. Throws across dimensions. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const difference = convert(a, b.unit).value - b.value;
  return clean(difference) === 0 ? 0 : Math.sign(difference);
}

/** a + sign·b, in a's unit. Throws across dimensions. */
export function addQuantities(a: Quantity, b: Quantity, sign: 1 | -1 = 1): Quantity {
  return { value: clean(a.value + sign * convert(b, a.unit).value), unit: a.unit };
}

/** "10.00 GBP" (money in pounds keeps two decimals), "250 p", "12.5 kWh". */
export function formatQuantity(quantity: Quantity): string {
  const value = quantity.unit === 'GBP' ? quantity.value.toFixed(2) : String(quantity.value);
  return `${value} ${quantity.unit}`;
}
