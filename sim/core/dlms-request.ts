import { GbcsDecodeError } from '../../src/gbcs/errors.ts';
import { decodeApdu, type AccessRequest } from '../../src/gbcs/payload/dlms/apdu.ts';
import { Reader } from '../../src/gbcs/reader.ts';

/** A DLMS use case's access-request, or undefined when the payload is not one (the device then answers as GBCS says). */
export function decodeAccessRequest(payload: Uint8Array): AccessRequest | undefined {
  try {
    const apdu = decodeApdu(new Reader(payload));
    return apdu.apdu === 'access-request' ? apdu : undefined;
  } catch (e) {
    if (e instanceof GbcsDecodeError) return undefined;
    throw e;
  }
}
