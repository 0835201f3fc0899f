/**
 * A strict DER tag-length-value layer: single-byte identifiers, definite lengths only, bounded nesting.
 * Each node remembers how many length octets the input used, so a decoded tree encodes back to the same bytes
 * even where the sender used a longer length form than needed (GBCS devices often write `82 00 xx`).
 */
import { GbcsDecodeError, GbcsEncodeError } from '../../errors.ts';
import { Reader, Writer } from '../../reader.ts';

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export const CONSTRUCTED_BIT = 0x20;
export const MAX_DEPTH = 32;

interface DerNodeCommon {
  /** The identifier octet: class, constructed bit and tag number (0..30). */
  tag: number;
  /** 0 for the short length form, else how many length octets followed 0x80|n. Undefined: the shortest form. */
  lengthOctets?: number;
  /** Absolute offset of the identifier octet in the whole message (decoded nodes only). */
  offset?: number;
}

export interface DerPrimitive extends DerNodeCommon {
  kind: 'primitive';
  value: Uint8Array;
}

export interface DerConstructed extends DerNodeCommon {
  kind: 'constructed';
  children: DerNode[];
}

export type DerNode = DerPrimitive | DerConstructed;

const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

export function isConstructedTag(tag: number): boolean {
  return (tag & CONSTRUCTED_BIT) !== 0;
}

/** Universal constructed types DER allows; strings and other universal types must be primitive. */
function checkIdentifier(tag: number, at: number): void {
  if ((tag & 0x1f) === 0x1f) throw new GbcsDecodeError(at, 'a single-byte identifier (tag number 0..30)', hex2(tag));
  const universal = (tag & 0xc0) === 0;
  if (!universal) return;
  if (tag === 0x00) throw new GbcsDecodeError(at, 'an identifier (0x00 is end-of-contents, not used in DER)', hex2(tag));
  const number = tag & 0x1f;
  const isSeqOrSet = number === 0x10 || number === 0x11;
  if (isSeqOrSet !== isConstructedTag(tag)) {
    throw new GbcsDecodeError(at, isSeqOrSet ? 'SEQUENCE/SET in constructed form (0x30/0x31)' : 'a primitive encoding for a universal type', hex2(tag));
  }
}

function readLength(r: Reader): { length: number; lengthOctets: number } {
  const at = r.offset;
  const first = r.u8('DER length');
  if (first < 0x80) return { length: first, lengthOctets: 0 };
  if (first === 0x80) throw new GbcsDecodeError(at, 'a definite length (indefinite 0x80 is not DER)', hex2(first));
  const n = first & 0x7f;
  if (n > 4) throw new GbcsDecodeError(at, 'a length of at most 4 length octets (0x81..0x84)', hex2(first));
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + r.u8('DER long-form length octet');
  return { length, lengthOctets: n };
}

function readNode(r: Reader, depth: number): DerNode {
  const offset = r.offset;
  const tag = r.u8('DER identifier');
  checkIdentifier(tag, offset);
  const { length, lengthOctets } = readLength(r);
  const content = r.sub(length, `contents of ${describeTag(tag)}`);
  if (!isConstructedTag(tag)) return { kind: 'primitive', tag, lengthOctets, offset, value: content.bytes };
  if (depth >= MAX_DEPTH) throw new GbcsDecodeError(offset, `DER nesting at most ${MAX_DEPTH} deep`);
  const children: DerNode[] = [];
  while (!content.done) children.push(readNode(content, depth + 1));
  return { kind: 'constructed', tag, lengthOctets, offset, children };
}

/** Reads exactly one DER value filling `bytes`; `base` is the absolute offset of bytes[0] in the message. */
export function decodeDer(bytes: Uint8Array, base = 0): DerNode {
  const r = new Reader(bytes, base);
  const node = readNode(r, 0);
  r.end('the DER value');
  return node;
}

function lengthBytes(length: number, lengthOctets: number | undefined): Uint8Array {
  if (lengthOctets === undefined) {
    if (length < 0x80) return Uint8Array.of(length);
    let n = 0;
    for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
    return lengthBytes(length, n);
  }
  if (lengthOctets === 0) {
    if (length >= 0x80) throw new GbcsEncodeError(`length ${length} does not fit the short form`);
    return Uint8Array.of(length);
  }
  if (lengthOctets > 4 || length >= 256 ** lengthOctets) throw new GbcsEncodeError(`length ${length} does not fit ${lengthOctets} length octets`);
  const out = new Uint8Array(lengthOctets + 1);
  out[0] = 0x80 | lengthOctets;
  for (let i = lengthOctets, v = length; i >= 1; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

function writeNode(w: Writer, node: DerNode, depth: number): void {
  if (depth > MAX_DEPTH) throw new GbcsEncodeError(`DER nesting deeper than ${MAX_DEPTH}`);
  if (!Number.isInteger(node.tag) || node.tag < 0 || node.tag > 0xff || (node.tag & 0x1f) === 0x1f) {
    throw new GbcsEncodeError(`not a single-byte DER identifier: ${node.tag}`);
  }
  if (isConstructedTag(node.tag) !== (node.kind === 'constructed')) {
    throw new GbcsEncodeError(`identifier ${hex2(node.tag)} does not match a ${node.kind} node`);
  }
  const content = node.kind === 'primitive' ? node.value : encodeChildren(node.children, depth + 1);
  w.u8(node.tag).bytes(lengthBytes(content.length, node.lengthOctets)).bytes(content);
}

function encodeChildren(children: DerNode[], depth: number): Uint8Array {
  const w = new Writer();
  for (const child of children) writeNode(w, child, depth);
  return w.finish();
}

export function encodeDer(node: DerNode): Uint8Array {
  const w = new Writer();
  writeNode(w, node, 0);
  return w.finish();
}

const UNIVERSAL_NAMES: Record<number, string> = {
  0x01: 'BOOLEAN',
  0x02: 'INTEGER',
  0x03: 'BIT STRING',
  0x04: 'OCTET STRING',
  0x05: 'NULL',
  0x06: 'OBJECT IDENTIFIER',
  0x0a: 'ENUMERATED',
  0x0c: 'UTF8String',
  0x13: 'PrintableString',
  0x16: 'IA5String',
  0x17: 'UTCTime',
  0x18: 'GeneralizedTime',
  0x30: 'SEQUENCE',
  0x31: 'SET',
};

const CLASS_NAMES = ['universal', 'application', 'context', 'private'] as const;

/** A tag as people read it: `INTEGER`, `SEQUENCE`, `[2] constructed`, `[0] primitive`. */
export function describeTag(tag: number): string {
  const known = UNIVERSAL_NAMES[tag];
  if (known) return known;
  const cls = CLASS_NAMES[tag >> 6]!;
  const form = isConstructedTag(tag) ? 'constructed' : 'primitive';
  const number = tag & 0x1f;
  return cls === 'context' ? `[${number}] ${form}` : `${cls} ${number} ${form}`;
}

// Constructors for builders: shortest length forms unless a sender's convention says otherwise.

export function primitive(tag: number, value: Uint8Array, lengthOctets?: number): DerPrimitive {
  const node: DerPrimitive = { kind: 'primitive', tag, value };
  if (lengthOctets !== undefined) node.lengthOctets = lengthOctets;
  return node;
}

export function constructed(tag: number, children: DerNode[], lengthOctets?: number): DerConstructed {
  const node: DerConstructed = { kind: 'constructed', tag, children };
  if (lengthOctets !== undefined) node.lengthOctets = lengthOctets;
  return node;
}

export function sequence(children: DerNode[], lengthOctets?: number): DerConstructed {
  return constructed(TAG.SEQUENCE, children, lengthOctets);
}
