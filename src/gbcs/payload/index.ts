import { asn1Codec } from './asn1/index.ts';
import { dlmsCodec } from './dlms/index.ts';
import { gbzCodec } from './gbz/index.ts';
import type { DecodedPayload, PayloadCodec, PayloadContext, PayloadEncoding } from './types.ts';

export type { DecodedPayload, PayloadCodec, PayloadContext, PayloadEncoding, Json } from './types.ts';

const ASN1_CODES = new Set([
  0x0008, 0x000a, 0x000b, 0x000c, 0x000d, 0x000e, 0x000f, 0x0010, 0x0012, 0x0013, 0x007f, 0x008c, 0x00ab, 0x00af, 0x00b2,
  0x00ca, 0x00cb, 0x0128, 0x0129,
]);
const GBZ_CODES = new Set([0x008b, 0x00cd, 0x00cf, 0x00f2]);
const DLMS_CODES = new Set([0x00cc, 0x00ce, 0x0061, 0x00d5, 0x00f0]);

export const CODECS: Record<PayloadEncoding, PayloadCodec> = { dlms: dlmsCodec, gbz: gbzCodec, asn1: asn1Codec };

/**
 * Which encoding a payload uses: fixed for the message codes whose payloads do not announce themselves,
 * otherwise by the first bytes (ASN.1 SEQUENCE, GBZ header, xDLMS tags).
 */
export function payloadEncoding(messageCode: number, payload: Uint8Array): PayloadEncoding | undefined {
  if (ASN1_CODES.has(messageCode) || (messageCode >= 0x0100 && messageCode <= 0x0109)) return 'asn1';
  if (GBZ_CODES.has(messageCode)) return 'gbz';
  if (DLMS_CODES.has(messageCode)) return 'dlms';
  const first = payload[0];
  if (first === 0x01 && payload[1] === 0x09) return 'gbz';
  if (first === 0xd9 || first === 0xda || first === 0x0f) return 'dlms';
  if (first === 0x30) return 'asn1';
  return undefined;
}

export function decodePayload(bytes: Uint8Array, ctx: PayloadContext): DecodedPayload | undefined {
  const encoding = payloadEncoding(ctx.messageCode, bytes);
  return encoding ? CODECS[encoding].decode(bytes, ctx) : undefined;
}

export function encodePayload(payload: DecodedPayload): Uint8Array {
  return CODECS[payload.encoding].encode(payload);
}
