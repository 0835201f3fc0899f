import type { Eui } from '../../src/crypto/eui.ts';
import { ALERT, buildFirmwareTransferAlert, type FIRMWARE_TRANSFER_RESPONSE_CODES, type NameOf } from '../../src/gbcs/payload/asn1/index.ts';
import { encodeApdu, type AccessRequest } from '../../src/gbcs/payload/dlms/apdu.ts';
import { readFirmwareVersionResponse } from '../../src/gbcs/payload/dlms/use-cases.ts';
import { RESULT } from '../../src/gbcs/payload/dlms/results.ts';
import type { DecodedFrame } from '../../src/gbcs/frame.ts';
import type { UseCaseHandler } from '../core/gbcs-device.ts';
import { decodeAccessRequest, failed, itemsOf, type Item } from './dlms.ts';
import { MESSAGE_CODE as CODE } from '../../src/gbcs/message-codes.ts';

/** The Comms Hub's firmware use cases: ECS52 (11.2, read its firmware version) and the CCS08 transfer alert. */

export const CHF_FIRMWARE_MESSAGE_CODE = { ECS52: CODE.ECS52, CCS08: CODE.CCS08 } as const;

const FIRMWARE_VERSION: Item = { service: 'get', classId: 1, obis: '0-0:0.2.1.255', id: 2 };

export function firmwareVersionBytes(version: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, version >>> 0);
  return out;
}

/** ECS52 for the hub: the same DLMS read as an ESME's, answered with the hub's 4-octet version. */
export function readFirmwareVersionHandler(version: () => number, discard: (frame: DecodedFrame, detail: string) => void): UseCaseHandler {
  return ({ frame }) => {
    const request = decodeAccessRequest(frame.payload);
    if (!request) {
      discard(frame, 'the payload is not a DLMS access-request');
      return undefined;
    }
    return { payload: readFirmwareVersion(request, version()) };
  };
}

function readFirmwareVersion(request: AccessRequest, version: number): Uint8Array {
  if (!itemsOf(request, [FIRMWARE_VERSION])) return failed(request, RESULT.objectUndefined);
  const response = readFirmwareVersionResponse({ counter: 0n, version: firmwareVersionBytes(version) });
  return encodeApdu({ ...response, invokeIdAndPriority: request.invokeIdAndPriority });
}

export type FirmwareTransferOutcome = NameOf<typeof FIRMWARE_TRANSFER_RESPONSE_CODES>;

export interface FirmwareTransfer {
  /** The device the image was for. */
  target: Eui;
  /** The version the image carries, 4 octets. */
  firmwareVersion: Uint8Array;
  outcome: FirmwareTransferOutcome;
  at: number;
}

/** CCS08 (0x0128): how the hub's transfer of an image to a HAN device ended (0x8F8A success, 0x8F89 failure). */
export function firmwareTransferAlert(t: FirmwareTransfer): Uint8Array {
  return buildFirmwareTransferAlert({
    alertCode: t.outcome === 'success' ? ALERT.firmwareTransferSuccess : ALERT.firmwareTransferFailure,
    executionDateTime: new Date(Math.floor(t.at / 1000) * 1000),
    entityId: t.target,
    firmwareVersion: t.firmwareVersion,
    responseCode: t.outcome,
  });
}
