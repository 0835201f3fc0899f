/**
 * Small builders for cluster definitions in zigbee-herdsman's custom-cluster format, so the Smart Energy clusters
 * herdsman lacks read as tables of ids, names and types.
 */
import { Zcl } from 'zigbee-herdsman';
import type { Attribute, Command, Parameter } from 'zigbee-herdsman/dist/zspec/zcl/definition/tstype.js';

export type FieldType = Zcl.DataType | Zcl.BuffaloZclDataType;

export type AttributeRow = readonly [id: number, name: string, type: Zcl.DataType];

export function attributeTable(rows: readonly AttributeRow[]): Record<string, Attribute> {
  const table: Record<string, Attribute> = {};
  for (const [ID, name, type] of rows) {
    if (name in table) throw new Error(`attribute name ${name} defined twice`);
    table[name] = { ID, name, type };
  }
  return table;
}

const { DataType } = Zcl;

/** Full ranges of the integer types the Smart Energy clusters use. */
const RANGE: Partial<Record<number, { min: number; max: number }>> = {
  [DataType.UINT8]: { min: 0, max: 0xff },
  [DataType.ENUM8]: { min: 0, max: 0xff },
  [DataType.BITMAP8]: { min: 0, max: 0xff },
  [DataType.UINT16]: { min: 0, max: 0xffff },
  [DataType.ENUM16]: { min: 0, max: 0xffff },
  [DataType.BITMAP16]: { min: 0, max: 0xffff },
  [DataType.UINT24]: { min: 0, max: 0xffffff },
  [DataType.UINT32]: { min: 0, max: 0xffffffff },
  [DataType.BITMAP32]: { min: 0, max: 0xffffffff },
  [DataType.UTC]: { min: 0, max: 0xffffffff },
  [DataType.UINT48]: { min: 0, max: 0xffffffffffff },
  [DataType.INT32]: { min: -0x80000000, max: 0x7fffffff },
};

/**
 * A field. Integer fields carry their type's full range: herdsman then keeps an all-ones (or 0x80.. signed) value as
 * the number it is instead of decoding it to NaN. In Smart Energy those values mean something field by field
 * (DurationInMinutes 0xFFFF = until changed, MinIssuerEventID 0xFFFFFFFF = not specified).
 */
export function field(name: string, type: FieldType): Parameter {
  const range = RANGE[type];
  return range === undefined ? { name, type } : { name, type, ...range };
}

/**
 * A trailing field that older revisions of the command lack: decoding skips it when fewer than `size` bytes remain,
 * encoding skips it when the payload leaves it out (and then every field after it must be left out too).
 */
export function optionalField(name: string, type: FieldType, size: number): Parameter {
  return { ...field(name, type), conditions: [{ type: Zcl.ParameterCondition.MINIMUM_REMAINING_BUFFER_BYTES, value: size }] };
}

/** The rest of the frame as raw bytes (repeated records we do not split, or key material). */
export function restOfFrame(name: string): Parameter {
  return { name, type: Zcl.BuffaloZclDataType.BUFFER };
}

export function commandTable(commands: readonly (readonly [id: number, name: string, parameters: readonly Parameter[]])[]): Record<string, Command> {
  const table: Record<string, Command> = {};
  for (const [ID, name, parameters] of commands) {
    if (name in table) throw new Error(`command name ${name} defined twice`);
    table[name] = { ID, name, parameters };
  }
  return table;
}
