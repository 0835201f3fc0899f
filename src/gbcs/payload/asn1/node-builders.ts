/** DER nodes from values, for the payload builders. Bad builder input is a GbcsEncodeError. */
import type { Eui } from '../../../crypto/eui.ts';
import { GbcsEncodeError } from '../../errors.ts';
import { KEY_USAGE_BITS, type KeyUsageName } from './codes.ts';
import { constructed, decodeDer, encodeDer, primitive, sequence, TAG, type DerNode } from './der.ts';
import { decodeAs } from './schema.ts';
import { certificate } from './x509.ts';

export { sequence, constructed };

export function integerNode(value: bigint | number, tag: number = TAG.INTEGER): DerNode {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new GbcsEncodeError(`not an integer: ${value}`);
  let v = BigInt(value);
  const bytes: number[] = [];
  // Least significant octet first, until the remaining value is just the sign extension of the last octet.
  for (;;) {
    const octet = Number(v & 0xffn);
    bytes.unshift(octet);
    v >>= 8n;
    if ((v === 0n && octet < 0x80) || (v === -1n && octet >= 0x80)) break;
  }
  return primitive(tag, Uint8Array.from(bytes));
}

const U64_LIMIT = 1n << 64n;

/** A 64-bit unsigned sequence number or counter. */
export function counterNode(value: bigint | number, tag: number = TAG.INTEGER): DerNode {
  const v = BigInt(value);
  if (v < 0n || v >= U64_LIMIT) throw new GbcsEncodeError(`a counter is 0..2^64-1, got ${v}`);
  return integerNode(v, tag);
}

export function octetStringNode(bytes: Uint8Array, tag: number = TAG.OCTET_STRING): DerNode {
  return primitive(tag, bytes.slice());
}

export function euiNode(eui: Eui): DerNode {
  if (!/^[0-9a-fA-F]{16}$/.test(eui)) throw new GbcsEncodeError(`an entity identifier is 16 hex digits, got ${JSON.stringify(eui)}`);
  return primitive(TAG.OCTET_STRING, Uint8Array.from(Buffer.from(eui, 'hex')));
}

export function nullNode(): DerNode {
  return primitive(TAG.NULL, new Uint8Array());
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** GeneralizedTime `YYYYMMDDHHMMSSZ`. GBCS times are whole seconds, so milliseconds are dropped. */
export function generalizedTimeNode(at: Date): DerNode {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new GbcsEncodeError('invalid date');
  const year = at.getUTCFullYear();
  if (year < 0 || year > 9999) throw new GbcsEncodeError(`GeneralizedTime years are 0000..9999, got ${year}`);
  const text =
    pad(year, 4) +
    pad(at.getUTCMonth() + 1, 2) +
    pad(at.getUTCDate(), 2) +
    pad(at.getUTCHours(), 2) +
    pad(at.getUTCMinutes(), 2) +
    pad(at.getUTCSeconds(), 2) +
    'Z';
  return primitive(TAG.GENERALIZED_TIME, new TextEncoder().encode(text));
}

/** A named-bit BIT STRING in DER form: trailing zero bits removed and counted as unused. */
export function keyUsageNode(usages: readonly KeyUsageName[]): DerNode {
  const bits = usages.map((u) => {
    const i = KEY_USAGE_BITS.indexOf(u);
    if (i < 0) throw new GbcsEncodeError(`unknown key usage ${JSON.stringify(u)}`);
    return i;
  });
  if (bits.length === 0) return primitive(TAG.BIT_STRING, Uint8Array.of(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (const i of bits) bytes[i >> 3]! |= 0x80 >> (i & 7);
  const unused = 7 - (highest & 7);
  return primitive(TAG.BIT_STRING, Uint8Array.of(unused, ...bytes));
}

/** A certificate to embed as it is, length forms and all; it must decode as an X.509 certificate. */
export function certificateNode(der: Uint8Array): DerNode {
  const node = decodeDer(der);
  decodeAs(certificate, node);
  return node;
}

function contentLength(node: DerNode): number {
  return node.kind === 'primitive' ? node.value.length : node.children.reduce((sum, c) => sum + encodeDer(c).length, 0);
}

/**
 * Devices (as the RTDS shows) write every length of 128 or more with at least two length octets (`82 00 ca`).
 * Applied to the nodes a builder made; embedded certificates keep the forms they came with.
 */
export function withDeviceLengthForms(node: DerNode): DerNode {
  if (node.lengthOctets !== undefined) return node;
  const children = node.kind === 'constructed' ? node.children.map(withDeviceLengthForms) : undefined;
  const rebuilt: DerNode = children ? { ...node, kind: 'constructed', children } : { ...node };
  const length = contentLength(rebuilt);
  if (length >= 0x80) {
    let octets = 2;
    while (length >= 256 ** octets) octets++;
    rebuilt.lengthOctets = octets;
  }
  return rebuilt;
}
