/** Strict readings of DER primitive contents: INTEGER, BOOLEAN, NULL, BIT STRING, OID, times and strings. */
import { toHex } from '../../../bytes.ts';
import { GbcsDecodeError } from '../../errors.ts';
import { describeTag, type DerConstructed, type DerNode, type DerPrimitive } from './der.ts';

export function nodeOffset(node: DerNode): number {
  return node.offset ?? 0;
}

/** Absolute offset of a node's contents: after the identifier and length octets. */
export function contentOffset(node: DerNode): number {
  return nodeOffset(node) + 2 + (node.lengthOctets ?? 0);
}

export function fail(node: DerNode, expected: string, found?: string): never {
  throw new GbcsDecodeError(nodeOffset(node), expected, found);
}

export function asPrimitive(node: DerNode, what: string): DerPrimitive {
  if (node.kind !== 'primitive') fail(node, `${what} (primitive)`, describeTag(node.tag));
  return node;
}

export function asConstructed(node: DerNode, what: string): DerConstructed {
  if (node.kind !== 'constructed') fail(node, `${what} (constructed)`, describeTag(node.tag));
  return node;
}

/** Two's complement INTEGER contents, minimal as DER requires. */
export function integerValue(node: DerNode, what: string): bigint {
  const { value } = asPrimitive(node, what);
  if (value.length === 0) fail(node, `${what}: at least one content octet`, 'none');
  if (value.length > 1) {
    const redundant = (value[0] === 0x00 && value[1]! < 0x80) || (value[0] === 0xff && value[1]! >= 0x80);
    if (redundant) fail(node, `${what} in minimal form (no redundant leading octet)`, toHex(value.subarray(0, 2)));
  }
  let v = 0n;
  for (const b of value) v = (v << 8n) | BigInt(b);
  if (value[0]! >= 0x80) v -= 1n << BigInt(8 * value.length);
  return v;
}

/** A JSON number when exact, else the decimal string. */
export function integerJson(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

export function booleanValue(node: DerNode, what: string): boolean {
  const { value } = asPrimitive(node, what);
  if (value.length !== 1 || (value[0] !== 0x00 && value[0] !== 0xff)) fail(node, `${what}: one octet, 0x00 or 0xff`, toHex(value));
  return value[0] === 0xff;
}

export function checkNull(node: DerNode, what: string): void {
  const { value } = asPrimitive(node, what);
  if (value.length !== 0) fail(node, `${what}: NULL with no contents`, `${value.length} octets`);
}

export interface BitString {
  unusedBits: number;
  bytes: Uint8Array;
}

export function bitStringValue(node: DerNode, what: string): BitString {
  const { value } = asPrimitive(node, what);
  if (value.length === 0) fail(node, `${what}: the unused-bits octet`, 'none');
  const unusedBits = value[0]!;
  const bytes = value.subarray(1);
  if (unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) fail(node, `${what}: unused bits 0..7 (0 when empty)`, String(unusedBits));
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    fail(node, `${what}: unused bits set to zero`, toHex(bytes.subarray(bytes.length - 1)));
  }
  return { unusedBits, bytes };
}

/** Named bits that are set, bit 0 being the most significant bit of the first octet. */
export function namedBits(bits: BitString, names: readonly string[]): string[] {
  const out: string[] = [];
  const total = bits.bytes.length * 8 - bits.unusedBits;
  for (let i = 0; i < total; i++) {
    if ((bits.bytes[i >> 3]! & (0x80 >> (i & 7))) === 0) continue;
    out.push(names[i] ?? `bit${i}`);
  }
  return out;
}

export function oidValue(node: DerNode, what: string): string {
  const { value } = asPrimitive(node, what);
  if (value.length === 0) fail(node, `${what}: at least one content octet`, 'none');
  if (value[value.length - 1]! & 0x80) fail(node, `${what}: a final subidentifier octet (high bit clear)`);
  const arcs: bigint[] = [];
  let current = 0n;
  let fresh = true;
  for (const b of value) {
    if (fresh && b === 0x80) fail(node, `${what}: subidentifiers in minimal form`, '0x80 leading octet');
    current = (current << 7n) | BigInt(b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      arcs.push(current);
      current = 0n;
    }
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function checkedIso(node: DerNode, what: string, y: string, mo: string, d: string, h: string, mi: string, s: string, frac: string): string {
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    fail(node, `${what}: a valid calendar date and time`, `${y}-${mo}-${d} ${h}:${mi}:${s}`);
  }
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}Z`;
}

/** Octets as characters one for one (callers have checked the range). */
function latin1(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
}

function asciiOf(node: DerNode, what: string): string {
  const { value } = asPrimitive(node, what);
  for (const b of value) if (b < 0x20 || b > 0x7e) fail(node, `${what}: printable ASCII`, `0x${b.toString(16)}`);
  return latin1(value);
}

/** DER GeneralizedTime `YYYYMMDDHHMMSS[.f*]Z` as ISO 8601 (`2030-01-15T09:00:00Z`). */
export function generalizedTimeValue(node: DerNode, what: string): string {
  const text = asciiOf(node, what);
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d*[1-9])?Z$/.exec(text);
  if (!m) fail(node, `${what}: GeneralizedTime YYYYMMDDHHMMSSZ`, JSON.stringify(text));
  return checkedIso(node, what, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7] ?? '');
}

/** DER UTCTime `YYMMDDHHMMSSZ` as ISO 8601; years 50..99 are 19xx (RFC 5280). */
export function utcTimeValue(node: DerNode, what: string): string {
  const text = asciiOf(node, what);
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) fail(node, `${what}: UTCTime YYMMDDHHMMSSZ`, JSON.stringify(text));
  const century = Number(m[1]) >= 50 ? '19' : '20';
  return checkedIso(node, what, century + m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, '');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function utf8Value(node: DerNode, what: string): string {
  const { value } = asPrimitive(node, what);
  try {
    return utf8.decode(value);
  } catch {
    return fail(node, `${what}: valid UTF-8`);
  }
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function printableValue(node: DerNode, what: string): string {
  const text = asciiOf(node, what);
  if (!PRINTABLE.test(text)) fail(node, `${what}: PrintableString characters`, JSON.stringify(text));
  return text;
}

export function ia5Value(node: DerNode, what: string): string {
  const { value } = asPrimitive(node, what);
  for (const b of value) if (b > 0x7f) fail(node, `${what}: IA5 (7-bit) characters`, `0x${b.toString(16)}`);
  return latin1(value);
}
