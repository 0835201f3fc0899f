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
  | { type: 'join-response'; status: 'accepted' | 'refused'; reason?: string; panId?: number; channel?: number; extendedPanId?: Eui }
  /** Device to hub: it leaves; hub to device: it is told to leave (removed from the CHF device log). */
  | { type: 'leave'; device: Eui }
  /** A hub forming its network (a replacement hub after CCS03): devices that knew this extended PAN id may rejoin. */
  | { type: 'beacon'; extendedPanId: Eui; panId: number; channel: number }
  /** A rejoin with the TC link key the device already holds, proven with its hash (what a restored log keeps). */
  | { type: 'rejoin-request'; device: Eui; nonce: Uint8Array; proof: Uint8Array };

const TYPES = new Set<string>(['join-request', 'join-response', 'leave', 'beacon', 'rejoin-request']);

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
  if (typeof type !== 'string' || !TYPES.has(type)) throw new HanMessageError(`unknown HAN message type ${JSON.stringify(type)}`);
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

/**
 * The hash of a TC link key that the CHF device log keeps and backs up (CS14, CCS07), and a replacement hub is
 * given back (CCS03). GBCS leaves the algorithm to the hub; a domain-separated SHA-256 stands in.
 */
export function hashTcLinkKey(linkKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update('hanlab hashed TC link key').update(linkKey).digest().subarray(0, 16));
}

/** Proof of holding the TC link key whose hash a (restored) device log entry keeps. */
export function rejoinProof(hashedLinkKey: Uint8Array, device: Eui, hub: Eui, nonce: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', hashedLinkKey).update(euiToBytes(device)).update(euiToBytes(hub)).update(nonce).digest().subarray(0, 16));
}
