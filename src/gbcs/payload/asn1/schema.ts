/**
 * Small combinators that describe a GBCS ASN.1 type and turn a DER tree of that type into named JSON fields.
 * A node that does not fit is a GbcsDecodeError at the node's offset, naming the element expected.
 */
import { toHex } from '../../../bytes.ts';
import { GbcsDecodeError } from '../../errors.ts';
import type { Json } from '../types.ts';
import type { CodeTable } from './codes.ts';
import { describeTag, encodeDer, TAG, type DerNode } from './der.ts';
import {
  asConstructed,
  asPrimitive,
  bitStringValue,
  checkNull,
  fail,
  generalizedTimeValue,
  integerJson,
  integerValue,
  namedBits,
  nodeOffset,
} from './values.ts';

export interface Schema {
  /** Identifier octets this schema accepts; undefined accepts any. */
  readonly tags?: readonly number[];
  /** What the element is, for error messages. */
  readonly what: string;
  decode(node: DerNode): Json;
}

function tagList(tags: readonly number[]): string {
  return tags.map(describeTag).join(' or ');
}

function accepts(schema: Schema, node: DerNode): boolean {
  return !schema.tags || schema.tags.includes(node.tag);
}

export function decodeAs(schema: Schema, node: DerNode): Json {
  if (!accepts(schema, node)) fail(node, `${schema.what} (${tagList(schema.tags!)})`, describeTag(node.tag));
  return schema.decode(node);
}

/** The same type under an implicit tag, as GBCS uses for optional SEQUENCE components ([3] seqNumber …). */
export function implicit(tag: number, schema: Schema): Schema {
  return { ...schema, tags: [tag] };
}

/** The whole value under one name: `{ entityId: "…" }` rather than a bare string. */
export function named(name: string, schema: Schema): Schema {
  return { ...schema, decode: (node) => ({ [name]: schema.decode(node) }) };
}

export interface Slot {
  name: string;
  schema: Schema;
  optional: boolean;
}

export const field = (name: string, schema: Schema): Slot => ({ name, schema, optional: false });
export const optional = (name: string, schema: Schema): Slot => ({ name, schema, optional: true });

function endOffset(node: DerNode): number {
  return nodeOffset(node) + encodeDer(node).length;
}

/** SEQUENCE of named components in order; optional ones are recognised by their tag and omitted when absent. */
export function sequence(what: string, slots: readonly Slot[], tag: number = TAG.SEQUENCE): Schema {
  return {
    tags: [tag],
    what,
    decode(node) {
      const { children } = asConstructed(node, what);
      const out: { [key: string]: Json } = {};
      let i = 0;
      for (const slot of slots) {
        const child = children[i];
        if (child === undefined || !accepts(slot.schema, child)) {
          if (slot.optional) continue;
          const expected = `${slot.name} in ${what} (${slot.schema.tags ? tagList(slot.schema.tags) : 'any'})`;
          if (child === undefined) throw new GbcsDecodeError(endOffset(node), expected, 'end of SEQUENCE');
          fail(child, expected, describeTag(child.tag));
        }
        out[slot.name] = slot.schema.decode(child);
        i++;
      }
      const extra = children[i];
      if (extra) fail(extra, `end of ${what}`, describeTag(extra.tag));
      return out;
    },
  };
}

/** SEQUENCE OF (or SET OF) one type, as a JSON array. */
export function sequenceOf(what: string, item: Schema, tag: number = TAG.SEQUENCE): Schema {
  return {
    tags: [tag],
    what,
    decode: (node) => asConstructed(node, what).children.map((child) => decodeAs(item, child)),
  };
}

/** A CHOICE told apart by tag: the first alternative that accepts the node decodes it. */
export function choice(what: string, alternatives: readonly Schema[]): Schema {
  const tags = alternatives.flatMap((a) => a.tags ?? []);
  return {
    tags,
    what,
    decode(node) {
      const alternative = alternatives.find((a) => accepts(a, node));
      if (!alternative) fail(node, `${what} (${tagList(tags)})`, describeTag(node.tag));
      return alternative.decode(node);
    },
  };
}

export function integer(what: string): Schema {
  return { tags: [TAG.INTEGER], what, decode: (node) => integerJson(integerValue(node, what)) };
}

const U64_LIMIT = 1n << 64n;

/** A 64-bit unsigned sequence number or counter, as a decimal string. */
export function counter(what: string): Schema {
  return {
    tags: [TAG.INTEGER],
    what,
    decode(node) {
      const v = integerValue(node, what);
      if (v < 0n || v >= U64_LIMIT) fail(node, `${what}: 0..2^64-1`, v.toString());
      return v.toString();
    },
  };
}

/** An INTEGER or ENUMERATED with named values: `{ value: 2, name: "hashMismatch" }` (no name when unknown). */
export function enumerated(what: string, table: CodeTable, tag: number = TAG.INTEGER): Schema {
  return {
    tags: [tag],
    what,
    decode(node) {
      const value = integerJson(integerValue(node, what));
      const out: { [key: string]: Json } = { value };
      const name = typeof value === 'number' ? table[value] : undefined;
      if (name !== undefined) out.name = name;
      return out;
    },
  };
}

/** An OCTET STRING as lower-case hex, optionally of a fixed size. */
export function octets(what: string, size?: number): Schema {
  return {
    tags: [TAG.OCTET_STRING],
    what,
    decode(node) {
      const { value } = asPrimitive(node, what);
      if (size !== undefined && value.length !== size) fail(node, `${what}: ${size} octets`, `${value.length}`);
      return toHex(value);
    },
  };
}

/** A NULL that stands for a fact ("command accepted"): decodes to true. */
export function presence(what: string): Schema {
  return {
    tags: [TAG.NULL],
    what,
    decode(node) {
      checkNull(node, what);
      return true;
    },
  };
}

export function generalizedTime(what: string): Schema {
  return { tags: [TAG.GENERALIZED_TIME], what, decode: (node) => generalizedTimeValue(node, what) };
}

/** A BIT STRING of named bits, as the list of names set. */
export function bitNames(what: string, names: readonly string[], tag: number = TAG.BIT_STRING): Schema {
  return { tags: [tag], what, decode: (node) => namedBits(bitStringValue(node, what), names) };
}

/** Anything, kept as the hex of its whole encoding. */
export function raw(what: string): Schema {
  return { what, decode: (node) => ({ raw: toHex(encodeDer(node)) }) };
}
