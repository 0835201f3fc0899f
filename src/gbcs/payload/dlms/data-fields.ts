import { toHex } from '../../../bytes.ts';
import type { Json } from '../types.ts';
import { objectName } from './cosem-names.ts';
import { describeDate, describeDateTime, describeTime, looksLikeDateTime } from './cosem-time.ts';
import type { DlmsData, TypeDescription } from './data.ts';
import { formatObis } from './obis.ts';
import { protectedDataFields } from './protected.ts';

export type Decrypt = (ciphertextAndTag: Uint8Array) => Uint8Array | undefined;

type JsonObject = { [key: string]: Json };

const isPrintable = (b: Uint8Array) => b.length > 1 && b.every((c) => c >= 0x20 && c <= 0x7e);
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

function utf8(b: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
}

/** What an octet-string most likely carries, added beside its hex: text, a COSEM date-time, a known OBIS code. */
function octetStringFields(b: Uint8Array): JsonObject {
  const out: JsonObject = { type: 'octet-string', hex: toHex(b) };
  if (isPrintable(b)) out.text = latin1(b);
  else if (looksLikeDateTime(b)) out.dateTime = describeDateTime(b);
  else if (b.length === 6) {
    const obis = formatObis(b);
    const name = objectName(obis);
    if (name) Object.assign(out, { obis, object: name });
  }
  return out;
}

function floatValue(bytes: Uint8Array): Json {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v = bytes.length === 4 ? view.getFloat32(0) : view.getFloat64(0);
  return Number.isFinite(v) ? v : String(v);
}

function bitText(bits: number, bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(2).padStart(8, '0');
  return s.slice(0, bits);
}

export function typeDescriptionFields(d: TypeDescription): Json {
  if (d.type === 'array') return { type: 'array', count: d.count, element: typeDescriptionFields(d.element) };
  if (d.type === 'structure') return { type: 'structure', elements: d.elements.map(typeDescriptionFields) };
  return d.type;
}

/** A DLMS data value as named, JSON-safe fields: types spelled out, bytes as hex, 64-bit numbers as decimal strings. */
export function dataFields(d: DlmsData, decrypt?: Decrypt): Json {
  switch (d.type) {
    case 'structure': {
      const [first, second] = d.elements;
      if (d.elements.length === 2 && first && second) {
        const protectedData = protectedDataFields(first, second, decrypt);
        if (protectedData) return protectedData;
      }
      return { type: d.type, elements: d.elements.map((e) => dataFields(e, decrypt)) };
    }
    case 'array':
      return { type: d.type, elements: d.elements.map((e) => dataFields(e, decrypt)) };
    case 'compact-array':
      return { type: d.type, description: typeDescriptionFields(d.description), elements: d.elements.map((e) => dataFields(e, decrypt)) };
    case 'null-data':
    case 'dont-care':
      return { type: d.type };
    case 'boolean':
      return d.encoding === undefined ? { type: d.type, value: d.value } : { type: d.type, value: d.value, encoding: d.encoding };
    case 'bit-string':
      return { type: d.type, bits: bitText(d.bits, d.bytes) };
    case 'octet-string':
      return octetStringFields(d.value);
    case 'visible-string':
      return isPrintable(d.value) || d.value.length === 0 ? { type: d.type, text: latin1(d.value) } : { type: d.type, hex: toHex(d.value) };
    case 'utf8-string': {
      const text = utf8(d.value);
      return text === undefined ? { type: d.type, hex: toHex(d.value) } : { type: d.type, text };
    }
    case 'long64':
    case 'long64-unsigned':
      return { type: d.type, value: d.value.toString() };
    case 'float32':
    case 'float64':
      return { type: d.type, value: floatValue(d.bytes), hex: toHex(d.bytes) };
    case 'date-time':
      return { type: d.type, hex: toHex(d.value), ...describeDateTime(d.value) };
    case 'date':
      return { type: d.type, hex: toHex(d.value), ...describeDate(d.value) };
    case 'time':
      return { type: d.type, hex: toHex(d.value), ...describeTime(d.value) };
    default:
      return { type: d.type, value: d.value };
  }
}
