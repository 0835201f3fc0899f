/**
 * Fields for an ASN.1 payload whose structure this codec does not know: the DER tree with universal types
 * read where their contents are valid, everything else kept raw.
 */
import { toHex } from '../../../bytes.ts';
import { GbcsDecodeError } from '../../errors.ts';
import type { Json } from '../types.ts';
import { describeTag, TAG, type DerNode, type DerPrimitive } from './der.ts';
import {
  bitStringValue,
  booleanValue,
  checkNull,
  generalizedTimeValue,
  integerValue,
  oidValue,
  printableValue,
  ia5Value,
  utcTimeValue,
  utf8Value,
} from './values.ts';

const READERS: Record<number, (node: DerPrimitive) => Json> = {
  [TAG.BOOLEAN]: (n) => booleanValue(n, 'BOOLEAN'),
  [TAG.INTEGER]: (n) => integerValue(n, 'INTEGER').toString(),
  [TAG.ENUMERATED]: (n) => integerValue(n, 'ENUMERATED').toString(),
  [TAG.BIT_STRING]: (n) => {
    const bits = bitStringValue(n, 'BIT STRING');
    return { unusedBits: bits.unusedBits, hex: toHex(bits.bytes) };
  },
  [TAG.OCTET_STRING]: (n) => toHex(n.value),
  [TAG.NULL]: (n) => {
    checkNull(n, 'NULL');
    return null;
  },
  [TAG.OID]: (n) => oidValue(n, 'OBJECT IDENTIFIER'),
  [TAG.UTF8_STRING]: (n) => utf8Value(n, 'UTF8String'),
  [TAG.PRINTABLE_STRING]: (n) => printableValue(n, 'PrintableString'),
  [TAG.IA5_STRING]: (n) => ia5Value(n, 'IA5String'),
  [TAG.UTC_TIME]: (n) => utcTimeValue(n, 'UTCTime'),
  [TAG.GENERALIZED_TIME]: (n) => generalizedTimeValue(n, 'GeneralizedTime'),
};

/** Integers come out as decimal strings here: with no schema there is no telling a small code from a counter. */
export function describeTree(node: DerNode): Json {
  const type = describeTag(node.tag);
  if (node.kind === 'constructed') return { type, items: node.children.map(describeTree) };
  const read = READERS[node.tag];
  if (read) {
    try {
      return { type, value: read(node) };
    } catch (e) {
      if (!(e instanceof GbcsDecodeError)) throw e;
    }
  }
  return { type, raw: toHex(node.value) };
}
