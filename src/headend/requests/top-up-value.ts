import { MAX_TOP_UP_VALUE, type UtrnValueClass } from '../../gbcs/utrn.ts';
import { RequestParamsError, type RequestParams } from './types.ts';

/** Money as a number of pounds or `{ value, unit: 'GBP' | 'p' }`, in pounds; undefined when absent. */
export function moneyParamGbp(params: RequestParams, name: string): number | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && !Array.isArray(v) && typeof v.value === 'number' && (v.unit === 'GBP' || v.unit === 'p')) return v.unit === 'GBP' ? v.value : v.value / 100;
  throw new RequestParamsError(`${name} must be an amount of money, got ${JSON.stringify(v)}`);
}

/**
 * What a UTRN the head-end makes is worth: `value` with `valueClass` as a UTRN carries it, or `amount` as money
 * (the scenario form) in pennies where 13 bits hold it, else in whole pounds.
 */
export function topUpValue(params: RequestParams): { value: number; valueClass: UtrnValueClass } {
  const value = params.value;
  const valueClass = params.valueClass;
  if (value !== undefined && value !== null) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RequestParamsError(`value must be a number, got ${JSON.stringify(value)}`);
    if (valueClass !== 'pennies' && valueClass !== 'pounds') throw new RequestParamsError('valueClass must be pennies or pounds');
    return { value, valueClass };
  }
  const gbp = moneyParamGbp(params, 'amount');
  if (gbp === undefined) throw new RequestParamsError('a top-up needs a utrn, an amount, or a value and valueClass');
  const pennies = Math.round(gbp * 100);
  if (pennies >= 0 && pennies <= MAX_TOP_UP_VALUE) return { value: pennies, valueClass: 'pennies' };
  if (pennies % 100 === 0 && pennies / 100 <= MAX_TOP_UP_VALUE) return { value: pennies / 100, valueClass: 'pounds' };
  throw new RequestParamsError(`£${gbp} cannot be one UTRN: at most ${MAX_TOP_UP_VALUE} pennies, or ${MAX_TOP_UP_VALUE} whole pounds`);
}
