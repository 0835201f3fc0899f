import { GbcsDecodeError, GbcsEncodeError } from '../../errors.ts';
import { encodeLength, Writer, type Reader } from '../../reader.ts';

/**
 * The typed DLMS/COSEM data model (the `Data` CHOICE of the Green Book, A-XDR encoded). Values keep exactly what
 * the wire holds so that encode(decode(b)) gives b again: byte strings as Uint8Array, 64-bit numbers as bigint.
 */
export type DlmsData =
  | { type: 'null-data' }
  | { type: 'array'; elements: DlmsData[] }
  | { type: 'structure'; elements: DlmsData[] }
  /** True is written 0xff as the RTDS does; `encoding` keeps any other non-zero byte a device sent. */
  | { type: 'boolean'; value: boolean; encoding?: number }
  /** `bits` is the bit count; `bytes` holds them, most significant first, padded to whole bytes. */
  | { type: 'bit-string'; bits: number; bytes: Uint8Array }
  | { type: 'double-long'; value: number }
  | { type: 'double-long-unsigned'; value: number }
  | { type: 'octet-string'; value: Uint8Array }
  | { type: 'visible-string'; value: Uint8Array }
  | { type: 'utf8-string'; value: Uint8Array }
  | { type: 'bcd'; value: number }
  | { type: 'integer'; value: number }
  | { type: 'long'; value: number }
  | { type: 'unsigned'; value: number }
  | { type: 'long-unsigned'; value: number }
  | { type: 'compact-array'; description: TypeDescription; elements: DlmsData[] }
  | { type: 'long64'; value: bigint }
  | { type: 'long64-unsigned'; value: bigint }
  | { type: 'enum'; value: number }
  | { type: 'float32'; bytes: Uint8Array }
  | { type: 'float64'; bytes: Uint8Array }
  | { type: 'date-time'; value: Uint8Array }
  | { type: 'date'; value: Uint8Array }
  | { type: 'time'; value: Uint8Array }
  | { type: 'dont-care' };

export type DlmsDataType = DlmsData['type'];

/** A compact array's element type: simple types are just their tag. */
export type TypeDescription =
  | { type: 'array'; count: number; element: TypeDescription }
  | { type: 'structure'; elements: TypeDescription[] }
  | { type: Exclude<DlmsDataType, 'array' | 'structure' | 'compact-array'> };

export const DATA_TAGS: Readonly<Record<DlmsDataType, number>> = {
  'null-data': 0,
  array: 1,
  structure: 2,
  boolean: 3,
  'bit-string': 4,
  'double-long': 5,
  'double-long-unsigned': 6,
  'octet-string': 9,
  'visible-string': 10,
  'utf8-string': 12,
  bcd: 13,
  integer: 15,
  long: 16,
  unsigned: 17,
  'long-unsigned': 18,
  'compact-array': 19,
  long64: 20,
  'long64-unsigned': 21,
  enum: 22,
  float32: 23,
  float64: 24,
  'date-time': 25,
  date: 26,
  time: 27,
  'dont-care': 255,
};

const TYPE_BY_TAG = new Map<number, DlmsDataType>(Object.entries(DATA_TAGS).map(([name, tag]) => [tag, name as DlmsDataType]));

/** Fixed sizes of the types whose encoding has no length. */
const FIXED_SIZE: Partial<Record<DlmsDataType, number>> = {
  'null-data': 0,
  'dont-care': 0,
  boolean: 1,
  bcd: 1,
  integer: 1,
  unsigned: 1,
  enum: 1,
  long: 2,
  'long-unsigned': 2,
  'double-long': 4,
  'double-long-unsigned': 4,
  float32: 4,
  long64: 8,
  'long64-unsigned': 8,
  float64: 8,
  'date-time': 12,
  date: 5,
  time: 4,
};

/** Nesting deeper than this is refused: no GBCS payload comes close, and it bounds recursion on hostile input. */
export const MAX_DEPTH = 32;

const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** A-XDR length: DER-style, and only in its shortest form so that re-encoding gives the same bytes. */
export function readLength(r: Reader, what: string): number {
  const at = r.offset;
  const n = r.length(what);
  if (r.offset - at !== encodeLength(n).length) throw new GbcsDecodeError(at, `${what} length in its shortest form`, `${r.offset - at} bytes for ${n}`);
  return n;
}

/** A count of elements that each take at least `minSize` bytes must fit in what is left. */
export function readCount(r: Reader, what: string, minSize = 1): number {
  const at = r.offset;
  const n = readLength(r, what);
  if (n * minSize > r.remaining) throw new GbcsDecodeError(at, `${what} count that fits the ${r.remaining} bytes left`, String(n));
  return n;
}

function checkDepth(r: Reader, depth: number): void {
  if (depth > MAX_DEPTH) r.fail(`DLMS data nested at most ${MAX_DEPTH} deep`);
}

function readTag(r: Reader, what: string): DlmsDataType {
  const at = r.offset;
  const tag = r.u8(`${what} type tag`);
  const type = TYPE_BY_TAG.get(tag);
  if (type === undefined) throw new GbcsDecodeError(at, `${what}: a DLMS data type tag`, hex2(tag));
  return type;
}

/** Decodes one tagged DLMS Data value. */
export function decodeData(r: Reader, depth = 0, what = 'DLMS data'): DlmsData {
  checkDepth(r, depth);
  const type = readTag(r, what);
  switch (type) {
    case 'array':
    case 'structure': {
      const n = readCount(r, `${type} element`);
      const elements: DlmsData[] = [];
      for (let i = 0; i < n; i++) elements.push(decodeData(r, depth + 1, `${type} element ${i}`));
      return { type, elements };
    }
    case 'compact-array': {
      const description = decodeTypeDescription(r, depth + 1);
      const contents = r.sub(readLength(r, 'compact-array contents'), 'compact-array contents');
      const elements: DlmsData[] = [];
      while (!contents.done) {
        const before = contents.pos;
        elements.push(decodeUntagged(contents, description, depth + 1));
        // A zero-size element type would loop for ever on a non-empty contents field.
        if (contents.pos === before) contents.fail('compact-array elements of non-zero size');
      }
      return { type, description, elements };
    }
    default:
      return decodeUntagged(r, { type }, depth);
  }
}

/** Decodes a value whose type is known from a type description (compact-array contents), so no tag precedes it. */
function decodeUntagged(r: Reader, d: TypeDescription, depth: number): DlmsData {
  checkDepth(r, depth);
  switch (d.type) {
    case 'array': {
      const elementSize = minimumSize(d.element);
      if (d.count > 0 && elementSize === 0) r.fail('compact-array element type of non-zero size');
      r.need(d.count * elementSize, `${d.count} compact-array elements`);
      const elements: DlmsData[] = [];
      for (let i = 0; i < d.count; i++) elements.push(decodeUntagged(r, d.element, depth + 1));
      return { type: 'array', elements };
    }
    case 'structure':
      return { type: 'structure', elements: d.elements.map((e) => decodeUntagged(r, e, depth + 1)) };
    case 'null-data':
    case 'dont-care':
      return { type: d.type };
    case 'boolean': {
      const b = r.u8('boolean');
      return b === 0 || b === 0xff ? { type: 'boolean', value: b !== 0 } : { type: 'boolean', value: true, encoding: b };
    }
    case 'bit-string': {
      const bits = readLength(r, 'bit-string');
      return { type: 'bit-string', bits, bytes: r.take(Math.ceil(bits / 8), 'bit-string bits') };
    }
    case 'octet-string':
    case 'visible-string':
    case 'utf8-string':
      return { type: d.type, value: r.take(readLength(r, d.type), d.type) };
    case 'integer':
      return { type: d.type, value: (r.u8('integer') << 24) >> 24 };
    case 'long':
      return { type: d.type, value: (r.u16('long') << 16) >> 16 };
    case 'double-long':
      return { type: d.type, value: r.u32('double-long') | 0 };
    case 'bcd':
    case 'unsigned':
    case 'enum':
      return { type: d.type, value: r.u8(d.type) };
    case 'long-unsigned':
      return { type: d.type, value: r.u16(d.type) };
    case 'double-long-unsigned':
      return { type: d.type, value: r.u32(d.type) };
    case 'long64':
      return { type: d.type, value: BigInt.asIntN(64, r.u64('long64')) };
    case 'long64-unsigned':
      return { type: d.type, value: r.u64('long64-unsigned') };
    case 'float32':
    case 'float64':
      return { type: d.type, bytes: r.take(FIXED_SIZE[d.type]!, d.type) };
    case 'date-time':
    case 'date':
    case 'time':
      return { type: d.type, value: r.take(FIXED_SIZE[d.type]!, d.type) };
  }
}

/** The fewest bytes an untagged value of this description can take. */
function minimumSize(d: TypeDescription): number {
  if (d.type === 'array') return d.count * minimumSize(d.element);
  if (d.type === 'structure') return d.elements.reduce((sum, e) => sum + minimumSize(e), 0);
  return FIXED_SIZE[d.type] ?? 1;
}

function decodeTypeDescription(r: Reader, depth: number): TypeDescription {
  checkDepth(r, depth);
  const type = readTag(r, 'type description');
  if (type === 'array') {
    const count = r.u16('type description array element count');
    return { type, count, element: decodeTypeDescription(r, depth + 1) };
  }
  if (type === 'structure') {
    const n = readCount(r, 'type description structure element');
    const elements: TypeDescription[] = [];
    for (let i = 0; i < n; i++) elements.push(decodeTypeDescription(r, depth + 1));
    return { type, elements };
  }
  if (type === 'compact-array') r.fail('a type description (compact-array cannot nest)', hex2(DATA_TAGS[type]));
  return { type };
}

export function encodeData(w: Writer, d: DlmsData): void {
  w.u8(DATA_TAGS[d.type]);
  if (d.type === 'array' || d.type === 'structure') {
    w.length(d.elements.length);
    for (const e of d.elements) encodeData(w, e);
  } else if (d.type === 'compact-array') {
    encodeTypeDescription(w, d.description);
    const contents = new Writer();
    for (const e of d.elements) encodeUntagged(contents, e, d.description);
    w.lengthPrefixed(contents.finish());
  } else {
    encodeValue(w, d);
  }
}

function encodeUntagged(w: Writer, d: DlmsData, desc: TypeDescription): void {
  if (d.type !== desc.type) throw new GbcsEncodeError(`compact-array element is ${d.type} where its type description says ${desc.type}`);
  if (desc.type === 'array' && d.type === 'array') {
    if (d.elements.length !== desc.count) throw new GbcsEncodeError(`compact-array element array has ${d.elements.length} elements, description says ${desc.count}`);
    for (const e of d.elements) encodeUntagged(w, e, desc.element);
  } else if (desc.type === 'structure' && d.type === 'structure') {
    if (d.elements.length !== desc.elements.length) throw new GbcsEncodeError(`compact-array element structure has ${d.elements.length} elements, description says ${desc.elements.length}`);
    d.elements.forEach((e, i) => encodeUntagged(w, e, desc.elements[i]!));
  } else {
    encodeValue(w, d);
  }
}

function encodeTypeDescription(w: Writer, d: TypeDescription): void {
  w.u8(DATA_TAGS[d.type]);
  if (d.type === 'array') {
    if (!Number.isInteger(d.count) || d.count < 0 || d.count > 0xffff) throw new GbcsEncodeError(`type description array count ${d.count} is outside 0..65535`);
    w.u16(d.count);
    encodeTypeDescription(w, d.element);
  } else if (d.type === 'structure') {
    w.length(d.elements.length);
    for (const e of d.elements) encodeTypeDescription(w, e);
  }
}

function checkInteger(d: { type: string; value: number }, min: number, max: number): number {
  if (!Number.isInteger(d.value) || d.value < min || d.value > max) throw new GbcsEncodeError(`${d.type} value ${d.value} is outside ${min}..${max}`);
  return d.value;
}

function checkBigInt(d: { type: string; value: bigint }, min: bigint, max: bigint): bigint {
  if (d.value < min || d.value > max) throw new GbcsEncodeError(`${d.type} value ${d.value} is outside ${min}..${max}`);
  return BigInt.asUintN(64, d.value);
}

function checkSize(type: string, b: Uint8Array, size: number): Uint8Array {
  if (b.length !== size) throw new GbcsEncodeError(`${type} must be ${size} bytes, got ${b.length}`);
  return b;
}

function encodeValue(w: Writer, d: DlmsData): void {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return;
    case 'boolean':
      if (d.encoding !== undefined && (!d.value || !Number.isInteger(d.encoding) || d.encoding < 1 || d.encoding > 0xfe)) {
        throw new GbcsEncodeError(`boolean encoding ${d.encoding} must be a byte 0x01..0xfe of a true value`);
      }
      w.u8(d.encoding ?? (d.value ? 0xff : 0x00));
      return;
    case 'bit-string':
      if (d.bytes.length !== Math.ceil(d.bits / 8)) throw new GbcsEncodeError(`bit-string of ${d.bits} bits needs ${Math.ceil(d.bits / 8)} bytes, got ${d.bytes.length}`);
      w.length(d.bits);
      w.bytes(d.bytes);
      return;
    case 'octet-string':
    case 'visible-string':
    case 'utf8-string':
      w.lengthPrefixed(d.value);
      return;
    case 'integer':
      w.u8(checkInteger(d, -128, 127));
      return;
    case 'long':
      w.u16(checkInteger(d, -32768, 32767));
      return;
    case 'double-long':
      w.u32(checkInteger(d, -(2 ** 31), 2 ** 31 - 1));
      return;
    case 'bcd':
    case 'unsigned':
    case 'enum':
      w.u8(checkInteger(d, 0, 255));
      return;
    case 'long-unsigned':
      w.u16(checkInteger(d, 0, 0xffff));
      return;
    case 'double-long-unsigned':
      w.u32(checkInteger(d, 0, 0xffffffff));
      return;
    case 'long64':
      w.u64(checkBigInt(d, -(2n ** 63n), 2n ** 63n - 1n));
      return;
    case 'long64-unsigned':
      w.u64(checkBigInt(d, 0n, 2n ** 64n - 1n));
      return;
    case 'float32':
    case 'float64':
      w.bytes(checkSize(d.type, d.bytes, FIXED_SIZE[d.type]!));
      return;
    case 'date-time':
    case 'date':
    case 'time':
      w.bytes(checkSize(d.type, d.value, FIXED_SIZE[d.type]!));
      return;
    case 'array':
    case 'structure':
    case 'compact-array':
      throw new GbcsEncodeError(`${d.type} is not a simple value`);
  }
}
