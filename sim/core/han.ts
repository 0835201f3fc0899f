import { createHash, createHmac } from 'node:crypto';
import { Decoder, Encoder } from 'cbor-x';
import { euiToBytes, type Eui } from '../../src/crypto/eui.ts';

/**
 * Network-layer messages of the simulated HAN. Joining a ZigBee network is not ZCL (it happens at the NWK/APS
 * layers), so it travels on its own protocol, `han`, while everything above it is real ZCL. A device proves it
 * holds the install code the hub was given (CCS01) by a keyed hash over both addresses and a nonce, standing in
 * for the install-code-derived link key that a real join uses to receive the network key.
 */
export type HanMessage =
  | { type: 'join-request'; device: Eui; deviceType: string; nonce: Uint8Array; proof: Uint8Array }
  | { type: 'join-response'; status: 'accepted' | 'refused'; reason?: string; panId?: number; channel?: number }
  | { type: 'leave'; device: Eui };

const codec = { useRecords: false, mapsAsObjects: true, tagUint8Array: false } as const;
const encoder = new Encoder(codec);
const decoder = new Decoder(codec);

export class HanMessageError extends Error {
  override readonly name = 'HanMessageError';
}

export function encodeHan(m: HanMessage): Uint8Array {
  return new Uint8Array(encoder.encode(m));
}

export function decodeHan(bytes: Uint8Array): HanMessage {
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (e) {
    throw new HanMessageError(`not a HAN message: ${(e as Error).message}`);
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (type !== 'join-request' && type !== 'join-response' && type !== 'leave') throw new HanMessageError(`unknown HAN message type ${JSON.stringify(type)}`);
  return value as HanMessage;
}

/** The link key a ZigBee install code stands for (SE uses AES-MMO; a hash with the same role serves here). */
export function installCodeKey(installCode: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(installCode).digest().subarray(0, 16));
}

export function joinProof(installCode: Uint8Array, device: Eui, hub: Eui, nonce: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHmac('sha256', installCodeKey(installCode)).update(euiToBytes(device)).update(euiToBytes(hub)).update(nonce).digest().subarray(0, 16),
  );
}
