import { Zcl } from 'zigbee-herdsman';
import { toHex } from '../../../bytes.ts';
import { GbcsEncodeError } from '../../errors.ts';
import type { Reader, Writer } from '../../reader.ts';
import type { Json } from '../types.ts';
import type { ZclScalar } from './model.ts';

/** ZCL data type codes the GBCS use cases name in their layouts. */
export const T = {
  BOOLEAN: 0x10,
  BITMAP8: 0x18,
  BITMAP16: 0x19,
  BITMAP32: 0x1b,
  UINT8: 0x20,
  UINT16: 0x21,
  UINT24: 0x22,
  UINT32: 0x23,
  UINT48: 0x25,
  INT32: 0x2b,
  ENUM8: 0x30,
  ENUM16: 0x31,
  OCTET_STR: 0x41,
  CHAR_STR: 0x42,
  DATE: 0xe1,
  UTC: 0xe2,
} as const;

type Kind = 'unsigned' | 'signed' | 'bitmap' | 'bool' | 'utc' | 'float' | 'date' | 'time-of-day' | 'ieee' | 'bytes' | 'string' | 'long-string';

interface TypeInfo {
  kind: Kind;
  /** Bytes on the wire; for strings, bytes of the length prefix. */
  size: number;
  text?: boolean;
}

function fixedTypes(): Map<number, TypeInfo> {
  const m = new Map<number, TypeInfo>();
  m.set(0x00, { kind: 'bytes', size: 0 });
  for (let n = 1; n <= 8; n++) {
    m.set(0x07 + n, { kind: 'bitmap', size: n }); // data8..data64: opaque, shown like bitmaps
    m.set(0x17 + n, { kind: 'bitmap', size: n });
    m.set(0x1f + n, { kind: 'unsigned', size: n });
    m.set(0x27 + n, { kind: 'signed', size: n });
  }
  m.set(0x10, { kind: 'bool', size: 1 });
  m.set(0x30, { kind: 'unsigned', size: 1 });
  m.set(0x31, { kind: 'unsigned', size: 2 });
  m.set(0x38, { kind: 'float', size: 2 });
  m.set(0x39, { kind: 'float', size: 4 });
  m.set(0x3a, { kind: 'float', size: 8 });
  m.set(0x41, { kind: 'string', size: 1 });
  m.set(0x42, { kind: 'string', size: 1, text: true });
  m.set(0x43, { kind: 'long-string', size: 2 });
  m.set(0x44, { kind: 'long-string', size: 2, text: true });
  m.set(0xe0, { kind: 'time-of-day', size: 4 });
  m.set(0xe1, { kind: 'date', size: 4 });
  m.set(0xe2, { kind: 'utc', size: 4 });
  m.set(0xe8, { kind: 'unsigned', size: 2 });
  m.set(0xe9, { kind: 'unsigned', size: 2 });
  m.set(0xea, { kind: 'unsigned', size: 4 });
  m.set(0xf0, { kind: 'ieee', size: 8 });
  m.set(0xf1, { kind: 'bytes', size: 16 });
  return m;
}

const TYPES = fixedTypes();

/** Whether values of this type can be read: arrays, structures, sets, bags and unknown codes cannot. */
export function isSupportedType(dataType: number): boolean {
  return TYPES.has(dataType);
}

const TYPE_NAMES = new Map<number, string>(
  Object.entries(Zcl.DataType)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([name, code]) => [code, name]),
);

export function dataTypeName(dataType: number): string {
  return TYPE_NAMES.get(dataType) ?? `0x${dataType.toString(16).padStart(2, '0')}`;
}

function info(dataType: number): TypeInfo {
  const t = TYPES.get(dataType);
  if (!t) throw new GbcsEncodeError(`ZCL data type ${dataTypeName(dataType)} is not supported`);
  return t;
}

const MAX_NUMBER_BYTES = 6;

function readUnsignedLE(r: Reader, size: number, what: string): number | bigint {
  const b = r.take(size, what);
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return size <= MAX_NUMBER_BYTES ? Number(v) : v;
}

/** Reads one value of a supported type (the caller checks isSupportedType first). */
export function readScalar(r: Reader, dataType: number, what: string): ZclScalar {
  const t = info(dataType);
  switch (t.kind) {
    case 'unsigned':
    case 'bitmap':
    case 'bool':
    case 'utc':
      return readUnsignedLE(r, t.size, what);
    case 'signed': {
      const u = readUnsignedLE(r, t.size, what);
      const bits = BigInt(t.size * 8);
      const big = BigInt(u);
      const v = big >= 1n << (bits - 1n) ? big - (1n << bits) : big;
      return t.size <= MAX_NUMBER_BYTES ? Number(v) : v;
    }
    case 'string':
    case 'long-string': {
      const n = t.size === 1 ? r.u8(`${what} length`) : readUnsignedLE(r, 2, `${what} length`) as number;
      const invalid = t.size === 1 ? 0xff : 0xffff;
      return n === invalid ? null : r.take(n, what).slice();
    }
    default:
      return r.take(t.size, what).slice();
  }
}

function writeUnsignedLE(w: Writer, value: bigint, size: number): void {
  for (let i = 0; i < size; i++) w.u8(Number((value >> BigInt(8 * i)) & 0xffn));
}

function integerOf(value: ZclScalar, dataType: number): bigint {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'bigint') return value;
  throw new GbcsEncodeError(`${dataTypeName(dataType)} needs an integer, got ${describe(value)}`);
}

function describe(value: ZclScalar): string {
  if (value instanceof Uint8Array) return `bytes ${toHex(value)}`;
  return String(value);
}

export function writeScalar(w: Writer, dataType: number, value: ZclScalar): void {
  const t = info(dataType);
  switch (t.kind) {
    case 'unsigned':
    case 'bitmap':
    case 'bool':
    case 'utc':
    case 'signed': {
      const v = integerOf(value, dataType);
      const bits = BigInt(t.size * 8);
      const [min, max] = t.kind === 'signed' ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
      if (v < min || v > max) throw new GbcsEncodeError(`${v} is out of range for ${dataTypeName(dataType)}`);
      writeUnsignedLE(w, v < 0n ? v + (1n << bits) : v, t.size);
      return;
    }
    case 'string':
    case 'long-string': {
      const invalid = t.size === 1 ? 0xff : 0xffff;
      if (value === null) return writeUnsignedLE(w, BigInt(invalid), t.size);
      if (!(value instanceof Uint8Array)) throw new GbcsEncodeError(`${dataTypeName(dataType)} needs bytes, got ${describe(value)}`);
      if (value.length >= invalid) throw new GbcsEncodeError(`${dataTypeName(dataType)} of ${value.length} bytes is too long`);
      writeUnsignedLE(w, BigInt(value.length), t.size);
      w.bytes(value);
      return;
    }
    default:
      if (!(value instanceof Uint8Array) || value.length !== t.size) {
        throw new GbcsEncodeError(`${dataTypeName(dataType)} needs ${t.size} bytes, got ${describe(value)}`);
      }
      w.bytes(value);
  }
}

const EPOCH_2000_MS = Date.UTC(2000, 0, 1);
/** The UTC time value ZCL reserves for "invalid"; GBCS uses it for "no date" (e.g. a cancellation). */
export const UTC_NONE = 0xffffffff;

export function utcToIso(seconds: number): string {
  if (seconds === UTC_NONE) return 'none (0xffffffff)';
  return new Date(EPOCH_2000_MS + seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Seconds since 2000-01-01 UTC, the ZCL UTC time. */
export function zclUtc(time: Date | number): number {
  if (typeof time === 'number') {
    if (!Number.isInteger(time) || time < 0 || time > UTC_NONE) throw new GbcsEncodeError(`${time} is not a ZCL UTC time (0 to 0xffffffff seconds)`);
    return time;
  }
  const ms = time.getTime() - EPOCH_2000_MS;
  if (!Number.isFinite(ms) || ms < 0 || ms % 1000 !== 0 || ms / 1000 >= UTC_NONE) throw new GbcsEncodeError(`${time.toISOString()} is not a whole-second ZCL UTC time`);
  return ms / 1000;
}

/** ZCL date: year since 1900, month, day of month, day of week (1 = Monday); 0xff in any part means "any". */
export function zclDate(parts: { year?: number; month?: number; day?: number; dayOfWeek?: number }): Uint8Array {
  const year = parts.year === undefined ? 0xff : parts.year - 1900;
  return Uint8Array.of(year, parts.month ?? 0xff, parts.day ?? 0xff, parts.dayOfWeek ?? 0xff);
}

function hexNumber(value: number | bigint, size: number): string {
  return `0x${value.toString(16).padStart(size * 2, '0')}`;
}

function textOrHex(bytes: Uint8Array): Json {
  const printable = bytes.every((b) => b >= 0x20 && b < 0x7f);
  return printable ? Buffer.from(bytes).toString('latin1') : { hex: toHex(bytes) };
}

function floatOf(bytes: Uint8Array): number {
  const be = bytes.slice().reverse();
  const view = new DataView(be.buffer);
  if (be.length === 4) return view.getFloat32(0);
  if (be.length === 8) return view.getFloat64(0);
  const h = view.getUint16(0);
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function finiteOrText(n: number): Json {
  return Number.isFinite(n) ? n : String(n);
}

/** A value as people read it: numbers, hex bitmaps, ISO times, text strings; always JSON-safe. */
export function renderScalar(dataType: number, value: ZclScalar): Json {
  const t = TYPES.get(dataType);
  if (value === null) return null;
  if (!t) return value instanceof Uint8Array ? toHex(value) : String(value);
  if (value instanceof Uint8Array) {
    switch (t.kind) {
      case 'string':
      case 'long-string':
        return t.text ? textOrHex(value) : toHex(value);
      case 'float':
        return finiteOrText(floatOf(value));
      case 'date': {
        const part = (v: number | undefined, add = 0) => (v === undefined || v === 0xff ? null : v + add);
        return { year: part(value[0], 1900), month: part(value[1]), day: part(value[2]), dayOfWeek: part(value[3]) };
      }
      case 'time-of-day': {
        const two = (v: number | undefined) => (v === undefined || v === 0xff ? '**' : String(v).padStart(2, '0'));
        return `${two(value[0])}:${two(value[1])}:${two(value[2])}.${two(value[3])}`;
      }
      case 'ieee':
        return toHex(value.slice().reverse());
      default:
        return toHex(value);
    }
  }
  switch (t.kind) {
    case 'bitmap':
      return hexNumber(value, t.size);
    case 'bool':
      return value === 0 ? false : value === 1 ? true : hexNumber(value, 1);
    case 'utc':
      return utcToIso(Number(value));
    default:
      return typeof value === 'bigint' ? value.toString() : value;
  }
}

const INTEGER_KINDS = new Set<Kind>(['unsigned', 'signed', 'bitmap', 'bool', 'utc']);

/**
 * Converts what a builder is given into a ZclScalar of the type: text for strings, Date for UTC times,
 * numbers or bigints for integers (bigints only where the type is wider than 48 bits).
 */
export function scalarFrom(dataType: number, input: unknown): ZclScalar {
  const t = info(dataType);
  if (input === null && (t.kind === 'string' || t.kind === 'long-string')) return null;
  if (typeof input === 'string' && (t.kind === 'string' || t.kind === 'long-string')) return new Uint8Array(Buffer.from(input, 'latin1'));
  if (input instanceof Date && t.kind === 'utc') return zclUtc(input);
  if (typeof input === 'boolean' && t.kind === 'bool') return input ? 1 : 0;
  if ((typeof input === 'number' || typeof input === 'bigint') && INTEGER_KINDS.has(t.kind)) {
    const wide = t.size > MAX_NUMBER_BYTES;
    return wide ? BigInt(input) : typeof input === 'bigint' ? Number(input) : input;
  }
  if (input instanceof Uint8Array) return input;
  throw new GbcsEncodeError(`cannot make a ${dataTypeName(dataType)} from ${typeof input}`);
}
