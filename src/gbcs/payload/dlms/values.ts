import { fromHex } from '../../../bytes.ts';
import { GbcsEncodeError } from '../../errors.ts';
import { COSEM_DATE_TIME_NEVER, COSEM_DATE_TIME_NOW, cosemDateTime } from './cosem-time.ts';
import type { DlmsData } from './data.ts';
import { parseObis, type Obis } from './obis.ts';

/** Short constructors for DLMS data values, for builders and tests. Byte arguments take a Uint8Array or hex. */

export type Bytes = Uint8Array | string;
const bytes = (b: Bytes): Uint8Array => (typeof b === 'string' ? fromHex(b) : b);

export const nullData = (): DlmsData => ({ type: 'null-data' });
export const structure = (...elements: DlmsData[]): DlmsData => ({ type: 'structure', elements });
export const array = (elements: DlmsData[]): DlmsData => ({ type: 'array', elements });
export const boolean = (value: boolean): DlmsData => ({ type: 'boolean', value });
export const octetString = (value: Bytes): DlmsData => ({ type: 'octet-string', value: bytes(value) });
/** An octet-string holding text as UTF-8 (GBCS sends UTRNs and MPANs so). */
export const textOctetString = (text: string): DlmsData => ({ type: 'octet-string', value: new TextEncoder().encode(text) });
export const visibleString = (text: string): DlmsData => ({ type: 'visible-string', value: Uint8Array.from(Buffer.from(text, 'latin1')) });
export const utf8String = (text: string): DlmsData => ({ type: 'utf8-string', value: new TextEncoder().encode(text) });
export const integer = (value: number): DlmsData => ({ type: 'integer', value });
export const long = (value: number): DlmsData => ({ type: 'long', value });
export const doubleLong = (value: number): DlmsData => ({ type: 'double-long', value });
export const unsigned = (value: number): DlmsData => ({ type: 'unsigned', value });
export const longUnsigned = (value: number): DlmsData => ({ type: 'long-unsigned', value });
export const doubleLongUnsigned = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
export const long64 = (value: bigint): DlmsData => ({ type: 'long64', value });
export const long64Unsigned = (value: bigint): DlmsData => ({ type: 'long64-unsigned', value });
export const enumValue = (value: number): DlmsData => ({ type: 'enum', value });
/** An OBIS code as the 6-octet string COSEM uses for object references. */
export const obisString = (obis: Obis): DlmsData => ({ type: 'octet-string', value: parseObis(obis) });

/** A bit-string from text such as `'111'`, first character the most significant bit. */
export function bitString(bits: string): DlmsData {
  if (!/^[01]*$/.test(bits)) throw new GbcsEncodeError(`bit-string text must be 0s and 1s: ${JSON.stringify(bits)}`);
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i] === '1') out[i >> 3]! |= 0x80 >> (i & 7);
  return { type: 'bit-string', bits: bits.length, bytes: out };
}

/** A date-time as GBCS commands carry it: 12 octets, or `'now'` / `'never'` for immediate or cancelled activation. */
export type DateTimeInput = Date | Uint8Array | 'now' | 'never';

export function dateTimeOctets(t: DateTimeInput): Uint8Array {
  if (t === 'now') return COSEM_DATE_TIME_NOW;
  if (t === 'never') return COSEM_DATE_TIME_NEVER;
  if (t instanceof Date) return cosemDateTime(t);
  if (t.length !== 12) throw new GbcsEncodeError(`a COSEM date-time is 12 octets, got ${t.length}`);
  return t;
}

/** A date-time in an octet-string, the form GBCS uses for time stamps and activation times. */
export const dateTimeString = (t: DateTimeInput): DlmsData => octetString(dateTimeOctets(t));
