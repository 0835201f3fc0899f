import { GbcsEncodeError } from '../../errors.ts';
import type { Reader, Writer } from '../../reader.ts';
import type { Json } from '../types.ts';
import { isGroup, type Param, type ScalarParam, type ZclScalar } from './model.ts';
import { readScalar, renderScalar, scalarFrom, writeScalar } from './zcl-types.ts';

/** Values decoded so far in the current parameter list, for counts and switches that depend on them. */
export type Scope = Readonly<Record<string, ZclScalar>>;

/**
 * The parameter layout of a cluster-specific ZCL command:
 * - a scalar of a ZCL data type (optional ones are read only when bytes remain);
 * - a group repeated to the end of the payload or a number of times given by earlier values;
 * - a switch on an earlier value choosing the rest of the layout (an unlisted case leaves the rest unparsed).
 */
export type ParamSpec =
  | { name: string; type: number; optional?: true }
  | { name: string; repeat: 'rest' | ((scope: Scope) => number); params: ParamSpec[] }
  | { switchOn: string; cases: Record<number, ParamSpec[]> };

export interface DecodedParams {
  params: Param[];
  /** False when a switch met a case it does not know: what remains is not understood. */
  complete: boolean;
}

export function decodeParams(r: Reader, specs: readonly ParamSpec[]): DecodedParams {
  const params: Param[] = [];
  const scope: Record<string, ZclScalar> = {};
  const complete = decodeInto(r, specs, params, scope);
  return { params, complete };
}

function decodeInto(r: Reader, specs: readonly ParamSpec[], out: Param[], scope: Record<string, ZclScalar>): boolean {
  for (const spec of specs) {
    if ('switchOn' in spec) {
      const chosen = spec.cases[Number(scope[spec.switchOn])];
      if (!chosen) return false;
      if (!decodeInto(r, chosen, out, scope)) return false;
    } else if ('repeat' in spec) {
      const items: Param[][] = [];
      if (spec.repeat === 'rest') {
        while (!r.done) items.push(decodeItem(r, spec.params));
      } else {
        const count = spec.repeat(scope);
        for (let i = 0; i < count; i++) items.push(decodeItem(r, spec.params));
      }
      out.push({ name: spec.name, items });
    } else {
      if (spec.optional && r.done) continue;
      const value = readScalar(r, spec.type, spec.name);
      scope[spec.name] = value;
      out.push({ name: spec.name, dataType: spec.type, value });
    }
  }
  return true;
}

function decodeItem(r: Reader, specs: readonly ParamSpec[]): Param[] {
  const item: Param[] = [];
  const start = r.pos;
  if (!decodeInto(r, specs, item, {})) r.fail('a group entry of a known layout');
  // A repeat to the end of the payload must make progress, or it would never end.
  if (r.pos === start) r.fail('a non-empty group entry');
  return item;
}

export function encodeParams(w: Writer, params: readonly Param[]): void {
  for (const p of params) {
    if (isGroup(p)) for (const item of p.items) encodeParams(w, item);
    else writeScalar(w, p.dataType, p.value);
  }
}

export function renderParams(params: readonly Param[]): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const p of params) {
    out[p.name] = isGroup(p) ? p.items.map(renderParams) : renderScalar(p.dataType, p.value);
  }
  return out;
}

/** Builder input for a layout: scalars by name (text, Date, number, bigint or bytes), groups as arrays of records. */
export type ParamInput = { readonly [name: string]: unknown };

/** Lays out named values by a command's layout, checking that every required value is given and none is unknown. */
export function paramsFromInput(specs: readonly ParamSpec[], input: ParamInput, what: string): Param[] {
  const out: Param[] = [];
  const used = new Set<string>();
  buildInto(specs, input, out, used, what);
  const unknown = Object.keys(input).filter((k) => !used.has(k));
  if (unknown.length) throw new GbcsEncodeError(`${what}: unknown parameter(s) ${unknown.join(', ')}`);
  return out;
}

function buildInto(specs: readonly ParamSpec[], input: ParamInput, out: Param[], used: Set<string>, what: string): void {
  for (const spec of specs) {
    if ('switchOn' in spec) {
      const chosen = spec.cases[Number(input[spec.switchOn])];
      if (!chosen) throw new GbcsEncodeError(`${what}: no layout for ${spec.switchOn} = ${String(input[spec.switchOn])}`);
      buildInto(chosen, input, out, used, what);
      continue;
    }
    const value = input[spec.name];
    if (value === undefined) {
      if ('type' in spec && spec.optional) continue;
      throw new GbcsEncodeError(`${what}: missing parameter ${spec.name}`);
    }
    used.add(spec.name);
    if ('repeat' in spec) {
      if (!Array.isArray(value)) throw new GbcsEncodeError(`${what}: ${spec.name} must be a list`);
      const items = value.map((item: ParamInput, i) => paramsFromInput(spec.params, item, `${what} ${spec.name}[${i}]`));
      out.push({ name: spec.name, items });
    } else {
      const scalar: ScalarParam = { name: spec.name, dataType: spec.type, value: scalarFrom(spec.type, value) };
      out.push(scalar);
    }
  }
}
