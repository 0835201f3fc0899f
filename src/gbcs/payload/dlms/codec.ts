import { GbcsEncodeError } from '../../errors.ts';
import { Reader } from '../../reader.ts';
import type { DecodedPayload, PayloadCodec, PayloadContext } from '../types.ts';
import { decodeApdu, encodeApdu, type DlmsApdu } from './apdu.ts';
import { apduFields } from './apdu-fields.ts';

/** What `tree` holds for a DLMS payload: the APDU itself, which encodes back to the original bytes. */
export type DlmsTree = DlmsApdu;

function isApdu(tree: unknown): tree is DlmsApdu {
  const apdu = (tree as { apdu?: unknown } | null)?.apdu;
  return apdu === 'access-request' || apdu === 'access-response' || apdu === 'data-notification';
}

export const dlmsCodec: PayloadCodec = {
  encoding: 'dlms',

  decode(bytes: Uint8Array, ctx: PayloadContext): DecodedPayload {
    const apdu = decodeApdu(new Reader(bytes, ctx.offset));
    const decrypt = ctx.decrypt ? (c: Uint8Array) => ctx.decrypt!(c) : undefined;
    return { encoding: 'dlms', kind: apdu.apdu, fields: apduFields(apdu, ctx.messageCode, decrypt), tree: apdu };
  },

  encode(payload: DecodedPayload): Uint8Array {
    if (payload.encoding !== 'dlms' || !isApdu(payload.tree)) throw new GbcsEncodeError('not a decoded DLMS payload');
    return encodeApdu(payload.tree);
  },
};
