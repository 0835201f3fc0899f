/**
 * The GBCS payloads of the firmware use cases as a simulated device sends them, shaped as the RTDS shows them:
 * CS06 (0x0012) responses, the future-dated activation alert 0x00CA, and the distribution receipt alerts 0x00CE
 * (DLMS: ESME, and the hub for its own image) and 0x00CF (GBZ: GSME). All of them are sent signed.
 */
import { fromHex } from '../../src/bytes.ts';
import {
  buildActivateFirmwareAcceptedResponse,
  buildActivateFirmwareAlert,
  buildActivateFirmwareResponse,
  type ACTIVATE_FIRMWARE_RESPONSE_CODES,
  type NameOf,
} from '../../src/gbcs/payload/asn1/index.ts';
import { encodeApdu } from '../../src/gbcs/payload/dlms/apdu.ts';
import { cosemDateTime } from '../../src/gbcs/payload/dlms/cosem-time.ts';
import { firmwareDistributionReceiptAlert as dlmsReceipt } from '../../src/gbcs/payload/dlms/use-cases.ts';
import { encodeGbzMessage } from '../../src/gbcs/payload/gbz/framing.ts';
import { firmwareDistributionReceiptAlert as gbzReceipt } from '../../src/gbcs/payload/gbz/use-cases.ts';
import { MESSAGE_CODE as CODE } from '../../src/gbcs/message-codes.ts';

export const FIRMWARE_MESSAGE_CODE = {
  CS06: CODE.CS06,
  /** Future-dated firmware activation alert. */
  CS06_ALERT: CODE.FDFAA,
  FDRA_DLMS: CODE.FDRA_DLMS,
  FDRA_GBZ: CODE.FDRA_ZigBee,
} as const;

export const ACTIVATION_ALERT_CODE = { success: 0x8f66, failure: 0x8f67 } as const;

export type ActivationResponseCode = NameOf<typeof ACTIVATE_FIRMWARE_RESPONSE_CODES>;
export type ReceiptEncoding = 'dlms' | 'gbz';

/** A device firmware version as the GBCS firmware version octets. */
export function versionOctets(version: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, version >>> 0);
  return out;
}

/** The 32-bit version in firmware version octets (a shorter value is read as if zero-padded on the left). */
export function versionFromOctets(octets: Uint8Array): number {
  let v = 0;
  for (const b of octets.subarray(-4)) v = ((v << 8) | b) >>> 0;
  return v;
}

const wholeSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

/** CS06 response: NULL for a future-dated (or cancelling) command, else the outcome and the version now running. */
export function activationResponse(outcome: { responseCode: ActivationResponseCode; running: number } | 'accepted'): Uint8Array {
  if (outcome === 'accepted') return buildActivateFirmwareAcceptedResponse();
  return buildActivateFirmwareResponse({ responseCode: outcome.responseCode, firmwareVersion: versionOctets(outcome.running) });
}

/** 0x00CA: a future-dated activation took effect (0x8F66) or did not (0x8F67). */
export function activationAlert(o: { at: number; originatorCounter: bigint; responseCode: ActivationResponseCode; running: number }): Uint8Array {
  return buildActivateFirmwareAlert({
    alertCode: o.responseCode === 'success' ? ACTIVATION_ALERT_CODE.success : ACTIVATION_ALERT_CODE.failure,
    executionDateTime: wholeSecond(o.at),
    originatorCounter: o.originatorCounter,
    responseCode: o.responseCode,
    firmwareVersion: versionOctets(o.running),
  });
}

/** The distribution receipt alert: the device verified the image and reports the hash it calculated over it. */
export function receiptAlert(encoding: ReceiptEncoding, o: { at: number; alertCounter: bigint; hash: string }): { messageCode: number; payload: Uint8Array } {
  const hash = fromHex(o.hash);
  if (encoding === 'gbz') {
    return { messageCode: FIRMWARE_MESSAGE_CODE.FDRA_GBZ, payload: encodeGbzMessage(gbzReceipt({ timestamp: wholeSecond(o.at), manufacturerHash: hash })) };
  }
  const apdu = dlmsReceipt({ counter: o.alertCounter, timestamp: cosemDateTime(wholeSecond(o.at)), calculatedManufacturerHash: hash });
  return { messageCode: FIRMWARE_MESSAGE_CODE.FDRA_DLMS, payload: encodeApdu(apdu) };
}
